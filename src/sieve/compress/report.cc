#include "sieve/compress/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "sieve/compress/coding/accounting.h"
#include "sieve/compress/coding/index.h"
#include "sieve/compress/coding/storage.h"

namespace sieve::compress {

namespace {

std::string kind_of(const ir::Graph& graph, const CompressedLayer& layer) {
  const ir::Node* n = graph.find_node(layer.node);
  if (n == nullptr) return "?";
  // A weighted op's category ("fc", "conv", "lstm", "gru"), else the op's name in lower case.
  if (ir::op_traits(n->op).has_weight()) {
    return std::string(ir::category_name(ir::op_category(n->op)));
  }
  std::string s(ir::op_name(n->op));
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// "102.54K" (K = 1024 bytes, as the thesis' tables), "1.20M", "812B".
std::string kbytes(double b) {
  if (b >= 1024.0 * 1024.0) return fmt::format("{:.2f}M", b / (1024.0 * 1024.0));
  if (b >= 1024.0) return fmt::format("{:.2f}K", b / 1024.0);
  return fmt::format("{:.0f}B", b);
}

std::string ratio_str(double r) { return r > 0 ? fmt::format("{:.1f}x", r) : "-"; }

std::string pct(double acc) { return acc >= 0 ? fmt::format("{:.2f} %", 100.0 * acc) : "-"; }

}  // namespace

Result<LayerSizes> measure_layer(const CompressedLayer& layer, const ir::Graph& graph,
                                 bool huffman) {
  LayerSizes s;
  s.node = layer.node;
  s.weight = layer.weight;
  s.kind = kind_of(graph, layer);
  s.weights = layer.numel();
  s.kept = layer.kept();
  s.bits = layer.bits;
  s.regions = layer.bits ? layer.region_rows * layer.region_cols : 0;
  s.block = layer.block;

  // After pruning only: f32 values and the smallest index for 32-bit fillers.
  const coding::IndexChoice p_index = coding::choose_index_format(layer.mask, layer.block, 32);
  s.weight_bytes_p = 4.0 * static_cast<double>(s.kept);
  s.index_bytes_p = static_cast<double>(p_index.best.total_bytes());

  // After quantization: raw codes, codebooks and the smallest index (fillers costing codes).
  coding::AccountOptions opt;
  opt.huffman_codes = false;
  opt.huffman_index = false;
  Result<coding::LayerBytes> acc = coding::account_layer(layer, opt);
  if (!acc.ok()) return acc.status().with_context("layer " + layer.weight);
  s.codebook_bytes = static_cast<double>(acc->codebook_bytes);
  s.weight_bytes_q = static_cast<double>(acc->codes_bytes + acc->codebook_bytes);
  s.index_bytes_q = static_cast<double>(acc->index_bytes);
  // Stored: what the container writer puts in MASKS, CODES, CODEBOOKS and VALUES, by the
  // writer's own choice (one function for both, so the report cannot claim a coding the file
  // does not use).
  Result<coding::StoredBytes> st = coding::stored_bytes(layer, huffman);
  if (!st.ok()) return st.status().with_context("layer " + layer.weight);
  s.weight_bytes_c = static_cast<double>(st->weight_bytes());
  s.index_bytes_c = static_cast<double>(st->mask_bytes);
  s.index_format = coding::mask_format_name(st->mask_format);
  s.code_format = coding::code_format_name(st->code_format);
  for (const coding::IndexCost& c : acc->index.costs) {
    if (!c.available) continue;
    s.index_candidates.emplace_back(coding::index_format_name(c.format),
                                    static_cast<double>(c.total_bytes()));
  }
  return s;
}

void sum_report(Report& r) {
  r.dense_bytes = r.w_p = r.i_p = r.w_q = r.i_q = r.w_c = r.i_c = 0;
  double conv_w = 0, conv_kept = 0, fc_w = 0, fc_kept = 0;
  for (const LayerSizes& l : r.layers) {
    r.dense_bytes += l.dense_bytes();
    r.w_p += l.weight_bytes_p;
    r.i_p += l.index_bytes_p;
    r.w_q += l.weight_bytes_q;
    r.i_q += l.index_bytes_q;
    r.w_c += l.weight_bytes_c;
    r.i_c += l.index_bytes_c;
    if (l.kind == "conv") {
      conv_w += static_cast<double>(l.weights);
      conv_kept += static_cast<double>(l.kept);
    } else {
      fc_w += static_cast<double>(l.weights);
      fc_kept += static_cast<double>(l.kept);
    }
  }
  r.sparsity_conv = conv_w > 0 ? 1.0 - conv_kept / conv_w : -1;
  r.sparsity_fc = fc_w > 0 ? 1.0 - fc_kept / fc_w : -1;
  auto ratio = [&](double bytes) { return bytes > 0 ? r.dense_bytes / bytes : 0.0; };
  r.ratio_p = ratio(r.w_p + r.i_p);
  r.ratio_q = ratio(r.w_q + r.i_q);
  r.ratio_c = ratio(r.w_c + r.i_c);
}

bool is_weight_section(const std::string& name) {
  return name == "MASKS" || name == "CODEBOOKS" || name == "CODES" || name == "VALUES";
}

void set_file_sections(Report& r, std::vector<std::pair<std::string, int64_t>> sections,
                       int64_t file_bytes, bool written, const std::string& path) {
  r.sections = std::move(sections);
  r.file_bytes = file_bytes;
  r.file_written = written;
  r.file_path = path;
  r.sections_bytes = 0;
  for (const auto& [name, b] : r.sections) {
    if (is_weight_section(name)) r.sections_bytes += b;
  }
  r.file_ratio = file_bytes > 0 ? r.dense_bytes / static_cast<double>(file_bytes) : 0.0;
  r.sections_ratio =
      r.sections_bytes > 0 ? r.dense_bytes / static_cast<double>(r.sections_bytes) : 0.0;
}

MaskImage mask_image(const CompressedLayer& layer) {
  MaskImage m;
  const int64_t rows = layer.rows(), cols = layer.numel() / std::max<int64_t>(1, rows);
  if (rows <= 0 || cols <= 0) return m;
  m.view_rows = rows;
  m.view_cols = cols;
  m.cell_rows = (rows + kMaskImageSide - 1) / kMaskImageSide;
  m.cell_cols = (cols + kMaskImageSide - 1) / kMaskImageSide;
  m.rows = (rows + m.cell_rows - 1) / m.cell_rows;
  m.cols = (cols + m.cell_cols - 1) / m.cell_cols;
  std::vector<int64_t> kept(static_cast<size_t>(m.rows * m.cols), 0);
  const bool dense = layer.mask.numel() != layer.numel();
  const uint8_t* mask = dense ? nullptr : layer.mask.data<uint8_t>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (dense || mask[r * cols + c] != 0) ++kept[static_cast<size_t>((r / m.cell_rows) * m.cols + c / m.cell_cols)];
  m.kept.resize(kept.size());
  for (int64_t i = 0; i < m.rows; ++i)
    for (int64_t j = 0; j < m.cols; ++j) {
      const int64_t h = std::min(m.cell_rows, rows - i * m.cell_rows);
      const int64_t w = std::min(m.cell_cols, cols - j * m.cell_cols);
      m.kept[static_cast<size_t>(i * m.cols + j)] =
          static_cast<float>(static_cast<double>(kept[static_cast<size_t>(i * m.cols + j)]) /
                             static_cast<double>(h * w));
    }
  return m;
}

Result<Report> make_report(const CompressedModel& model) {
  const bool huffman = model.entropy_coding;
  Report r;
  auto it = model.metadata.find("recipe");
  if (it != model.metadata.end()) r.recipe = it->second;
  it = model.metadata.find("model");
  if (it != model.metadata.end()) r.model = it->second;
  int64_t compressed_weights = 0;
  for (const CompressedLayer& l : model.layers) {
    SIEVE_ASSIGN_OR_RETURN(LayerSizes s, measure_layer(l, model.graph, huffman));
    s.mask_image = mask_image(l);
    compressed_weights += s.weights;
    r.layers.push_back(std::move(s));
  }
  r.bias_bytes = 4.0 * static_cast<double>(
                           std::max<int64_t>(0, model.graph.num_parameters() - compressed_weights));
  sum_report(r);
  return r;
}

std::string format_report(const Report& r) {
  std::string out;
  std::string sparsity;
  if (r.sparsity_conv >= 0) sparsity += fmt::format("C {:.2f} % ", 100.0 * r.sparsity_conv);
  if (r.sparsity_fc >= 0) sparsity += fmt::format("F {:.2f} %", 100.0 * r.sparsity_fc);
  out += fmt::format("model {}  recipe {}\n", r.model.empty() ? "-" : r.model,
                     r.recipe.empty() ? "-" : r.recipe);
  if (r.file_bytes >= 0) {
    std::string parts;
    for (const auto& [name, b] : r.sections) {
      if (is_weight_section(name)) {
        parts += fmt::format("{}{} {}", parts.empty() ? "" : " + ", name, b);
      }
    }
    out += fmt::format("file ratio {:.1f}x: dense weights {:.0f} B / {} {} B{}\n", r.file_ratio,
                       r.dense_bytes, r.file_written ? "written file" : "file (not written)",
                       r.file_bytes,
                       r.file_written && !r.file_path.empty() ? " (" + r.file_path + ")" : "");
    out += fmt::format("sections ratio {:.1f}x: dense weights / the file's weight and index "
                       "sections {} B ({})\n",
                       r.sections_ratio, r.sections_bytes, parts);
    std::string rest;
    for (const auto& [name, b] : r.sections) {
      if (!is_weight_section(name)) rest += fmt::format(", {} {}", name, b);
    }
    int64_t in_sections = 0;
    for (const auto& [name, b] : r.sections) in_sections += b;
    out += fmt::format("  rest of the file: header and section table {}{}\n",
                       r.file_bytes - in_sections, rest);
  }
  out += "Table 3.3 row (K = 1024 bytes; ratios: dense fp32 weights / everything needed to "
         "decode them; c = the bytes the container stores, W_c + I_c = the sections above)\n";
  out += fmt::format("  {:<18} {:>20} {:>7} {:>20} {:>7} {:>20} {:>7} {:>8}\n", "sparsity",
                     "W_p / I_p", "r_p", "W_q / I_q", "r_q", "W_c / I_c", "r_c", "R(Irr)");
  out += fmt::format("  {:<18} {:>20} {:>7} {:>20} {:>7} {:>20} {:>7} {:>8}\n", sparsity,
                     kbytes(r.w_p) + " / " + kbytes(r.i_p), ratio_str(r.ratio_p),
                     kbytes(r.w_q) + " / " + kbytes(r.i_q), ratio_str(r.ratio_q),
                     kbytes(r.w_c) + " / " + kbytes(r.i_c), ratio_str(r.ratio_c),
                     r.r_irr > 0 ? fmt::format("{:.2f}x", r.r_irr) : "-");
  out += fmt::format("accuracy: dense {}  ->  compressed {}", pct(r.accuracy_dense),
                     pct(r.accuracy));
  if (r.accuracy_dense >= 0 && r.accuracy >= 0) {
    out += fmt::format("  ({:+.2f} points)", 100.0 * (r.accuracy - r.accuracy_dense));
  }
  out += "\n";
  if (r.accuracy_val_dense >= 0 || r.accuracy_val >= 0) {
    out += fmt::format("validation accuracy ({} examples held out of training): dense {}  ->  "
                       "compressed {}",
                       r.validation_examples, pct(r.accuracy_val_dense), pct(r.accuracy_val));
    if (r.accuracy_val_dense >= 0 && r.accuracy_val >= 0) {
      out += fmt::format("  ({:+.2f} points)", 100.0 * (r.accuracy_val - r.accuracy_val_dense));
    }
    out += "\n";
  }
  out += fmt::format("dense weights {} ({:.0f} bytes); biases and other parameters {} (f32, "
                     "outside the ratios)\n",
                     kbytes(r.dense_bytes), r.dense_bytes, kbytes(r.bias_bytes));
  out += "\nper layer (Table 3.5 columns; bytes the file stores)\n";
  out += fmt::format("  {:<10} {:<5} {:>9} {:>8} {:>7} {:>6} {:>7} {:>11} {:>11}  {}\n",
                     "layer", "kind", "weights", "density", "bits/w", "q bits", "regions",
                     "weight B", "index B", "stored index / codes (index formats, bytes)");
  for (const LayerSizes& l : r.layers) {
    std::string cands;
    for (const auto& [name, b] : l.index_candidates) {
      cands += fmt::format("{}{} {:.0f}", cands.empty() ? "" : ", ", name, b);
    }
    out += fmt::format("  {:<10} {:<5} {:>9} {:>7.2f}% {:>7.2f} {:>6} {:>7} {:>11.0f} {:>11.0f}  "
                       "{} / {} ({})\n",
                       l.node, l.kind, l.weights, 100.0 * l.density(), l.bits_per_weight(),
                       l.bits ? std::to_string(l.bits) : "f32", l.regions, l.weight_bytes_c,
                       l.index_bytes_c, l.index_format, l.code_format, cands);
  }
  const double kept = [&] {
    double k = 0;
    for (const LayerSizes& l : r.layers) k += static_cast<double>(l.kept);
    return k;
  }();
  const double weights = r.dense_bytes / 4.0;
  out += fmt::format("  {:<10} {:<5} {:>9.0f} {:>7.2f}% {:>7.2f} {:>6} {:>7} {:>11.0f} {:>11.0f}\n",
                     "total", "", weights, weights > 0 ? 100.0 * kept / weights : 0.0,
                     kept > 0 ? 8.0 * (r.w_c + r.i_c) / kept : 0.0, "", "", r.w_c, r.i_c);
  for (const std::string& n : r.notes) out += "note: " + n + "\n";
  return out;
}

nlohmann::json report_json(const Report& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerSizes& l : r.layers) {
    nlohmann::json idx = nlohmann::json::object();
    for (const auto& [name, b] : l.index_candidates) idx[name] = b;
    // Shares to 3 decimals: a 64 × 64 picture stays a few KB of JSON.
    nlohmann::json shares = nlohmann::json::array();
    for (float k : l.mask_image.kept) shares.push_back(std::round(k * 1000.0) / 1000.0);
    layers.push_back({{"node", l.node},
                      {"weight", l.weight},
                      {"kind", l.kind},
                      {"weights", l.weights},
                      {"kept", l.kept},
                      {"density", l.density()},
                      {"bits", l.bits},
                      {"regions", l.regions},
                      {"block", l.block},
                      {"bits_per_weight", l.bits_per_weight()},
                      {"weight_bytes", l.weight_bytes_c},
                      {"index_bytes", l.index_bytes_c},
                      {"weight_bytes_p", l.weight_bytes_p},
                      {"index_bytes_p", l.index_bytes_p},
                      {"weight_bytes_q", l.weight_bytes_q},
                      {"index_bytes_q", l.index_bytes_q},
                      {"codebook_bytes", l.codebook_bytes},
                      {"index_format", l.index_format},
                      {"code_format", l.code_format},
                      {"index_formats", idx},
                      {"mask_image",
                       {{"view", {l.mask_image.view_rows, l.mask_image.view_cols}},
                        {"rows", l.mask_image.rows},
                        {"cols", l.mask_image.cols},
                        {"cell", {l.mask_image.cell_rows, l.mask_image.cell_cols}},
                        {"kept", shares}}}});
  }
  nlohmann::json schedule = nlohmann::json::array();
  for (const ScheduleStep& s : r.schedule)
    schedule.push_back({{"step", s.step},
                        {"sparsity", s.sparsity},
                        {"accuracy_pruned", s.accuracy_pruned},
                        {"accuracy", s.accuracy}});
  auto opt = [](double v) { return v >= 0 ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json sections = nlohmann::json::object();
  for (const auto& [name, b] : r.sections) sections[name] = b;
  const bool file = r.file_bytes >= 0;
  return {{"model", r.model},
          {"recipe", r.recipe},
          {"file_ratio", file ? nlohmann::json(r.file_ratio) : nlohmann::json(nullptr)},
          {"sections_ratio", file ? nlohmann::json(r.sections_ratio) : nlohmann::json(nullptr)},
          {"sections_bytes", file ? nlohmann::json(r.sections_bytes) : nlohmann::json(nullptr)},
          {"sections", file ? sections : nlohmann::json(nullptr)},
          {"file_written", r.file_written},
          {"ratio_p", r.ratio_p},
          {"ratio_q", r.ratio_q},
          {"ratio_c", r.ratio_c},
          {"r_irr", r.r_irr > 0 ? nlohmann::json(r.r_irr) : nlohmann::json(nullptr)},
          {"accuracy_dense", opt(r.accuracy_dense)},
          {"accuracy", opt(r.accuracy)},
          {"validation_examples", r.validation_examples},
          {"accuracy_val_dense", opt(r.accuracy_val_dense)},
          {"accuracy_val", opt(r.accuracy_val)},
          {"file_bytes", r.file_bytes >= 0 ? nlohmann::json(r.file_bytes)
                                           : nlohmann::json(nullptr)},
          {"dense_bytes", r.dense_bytes},
          {"bias_bytes", r.bias_bytes},
          {"w_p", r.w_p},
          {"i_p", r.i_p},
          {"w_q", r.w_q},
          {"i_q", r.i_q},
          {"w_c", r.w_c},
          {"i_c", r.i_c},
          {"sparsity_conv", opt(r.sparsity_conv)},
          {"sparsity_fc", opt(r.sparsity_fc)},
          {"seconds", r.seconds},
          {"notes", r.notes},
          {"schedule", schedule},
          {"schedule_scored_on", r.schedule_scored_on.empty() ? nlohmann::json(nullptr)
                                                             : nlohmann::json(r.schedule_scored_on)},
          {"layers", layers}};
}

}  // namespace sieve::compress
