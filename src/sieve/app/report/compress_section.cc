// The compression section: one `sieve compress --json` report (compress/report.h holds the
// accounting every number here follows).
#include <cmath>
#include <optional>

#include "sieve/app/report/fields.h"
#include "sieve/app/report/page.h"

namespace sieve::app::report {
namespace {

struct Layer {
  std::string node, kind, index_format;
  double weights = 0, kept = 0, density = 0, bits = 0, bits_per_weight = 0;
  double bytes_p = 0, bytes_q = 0, bytes_c = 0;  // weights + index at each stage
  double weight_bytes = 0, index_bytes = 0, codebook_bytes = 0;
  // The mask picture (compress/report.h MaskImage), when the input has one.
  int64_t view_rows = 0, view_cols = 0, image_rows = 0, image_cols = 0, cell_rows = 0,
          cell_cols = 0;
  std::vector<double> image;
};

struct Step {
  double step = 0, sparsity = 0, accuracy_pruned = 0, accuracy = 0;
};

Result<Layer> read_layer(const Field& f) {
  Layer l;
  SIEVE_ASSIGN_OR_RETURN(l.node, f.string("node"));
  SIEVE_ASSIGN_OR_RETURN(l.kind, f.string("kind"));
  SIEVE_ASSIGN_OR_RETURN(l.index_format, f.string("index_format"));
  SIEVE_ASSIGN_OR_RETURN(l.weights, f.number("weights"));
  SIEVE_ASSIGN_OR_RETURN(l.kept, f.number("kept"));
  SIEVE_ASSIGN_OR_RETURN(l.density, f.number("density"));
  SIEVE_ASSIGN_OR_RETURN(l.bits, f.number("bits"));
  SIEVE_ASSIGN_OR_RETURN(l.bits_per_weight, f.number("bits_per_weight"));
  SIEVE_ASSIGN_OR_RETURN(double wp, f.number("weight_bytes_p"));
  SIEVE_ASSIGN_OR_RETURN(double ip, f.number("index_bytes_p"));
  SIEVE_ASSIGN_OR_RETURN(double wq, f.number("weight_bytes_q"));
  SIEVE_ASSIGN_OR_RETURN(double iq, f.number("index_bytes_q"));
  SIEVE_ASSIGN_OR_RETURN(l.weight_bytes, f.number("weight_bytes"));
  SIEVE_ASSIGN_OR_RETURN(l.index_bytes, f.number("index_bytes"));
  SIEVE_ASSIGN_OR_RETURN(l.codebook_bytes, f.number("codebook_bytes"));
  if (l.density < 0 || l.density > 1)
    return Field(f.file(), f.json()["density"], f.path() + ".density")
        .error(fmt::format("a density must be in [0, 1], got {}", l.density));
  l.bytes_p = wp + ip;
  l.bytes_q = wq + iq;
  l.bytes_c = l.weight_bytes + l.index_bytes;
  if (f.has("mask_image")) {
    SIEVE_ASSIGN_OR_RETURN(Field m, f.at("mask_image"));
    constexpr int64_t kMaxCells = 4096, kMaxWeights = int64_t{1} << 40;
    SIEVE_ASSIGN_OR_RETURN(l.image_rows, m.whole("rows", kMaxCells));
    SIEVE_ASSIGN_OR_RETURN(l.image_cols, m.whole("cols", kMaxCells));
    SIEVE_ASSIGN_OR_RETURN(std::vector<Field> cell, m.list("cell"));
    SIEVE_ASSIGN_OR_RETURN(std::vector<Field> kept, m.list("kept"));
    SIEVE_ASSIGN_OR_RETURN(std::vector<Field> view, m.list("view"));
    if (cell.size() != 2) return m.error("cell: expected [rows, cols]");
    if (view.size() != 2) return m.error("view: expected [rows, cols]");
    SIEVE_ASSIGN_OR_RETURN(l.view_rows, view[0].whole(kMaxWeights));
    SIEVE_ASSIGN_OR_RETURN(l.view_cols, view[1].whole(kMaxWeights));
    if (static_cast<int64_t>(kept.size()) != l.image_rows * l.image_cols)
      return m.error(fmt::format("kept: {} shares for {} × {} cells", kept.size(), l.image_rows,
                                 l.image_cols));
    SIEVE_ASSIGN_OR_RETURN(l.cell_rows, cell[0].whole(kMaxWeights));
    SIEVE_ASSIGN_OR_RETURN(l.cell_cols, cell[1].whole(kMaxWeights));
    for (const Field& k : kept) {
      SIEVE_ASSIGN_OR_RETURN(double v, k.number());
      l.image.push_back(v);
    }
  }
  return l;
}

std::string accuracy_text(std::optional<double> before, std::optional<double> after) {
  if (!before && !after) return "not measured";
  std::string s = before ? percent(*before) : "–";
  s += " → ";
  s += after ? percent(*after) : "–";
  return s;
}

}  // namespace

Result<std::string> compress_section(const Input& input, int index, Page& page) {
  const Field doc(input.path, input.doc);
  SIEVE_ASSIGN_OR_RETURN(std::string model, doc.string("model"));
  SIEVE_ASSIGN_OR_RETURN(std::string recipe, doc.string("recipe"));
  SIEVE_ASSIGN_OR_RETURN(double ratio_p, doc.number("ratio_p"));
  SIEVE_ASSIGN_OR_RETURN(double ratio_q, doc.number("ratio_q"));
  SIEVE_ASSIGN_OR_RETURN(double ratio_c, doc.number("ratio_c"));
  SIEVE_ASSIGN_OR_RETURN(double dense_bytes, doc.number("dense_bytes"));
  SIEVE_ASSIGN_OR_RETURN(double w_p, doc.number("w_p"));
  SIEVE_ASSIGN_OR_RETURN(double i_p, doc.number("i_p"));
  SIEVE_ASSIGN_OR_RETURN(double w_q, doc.number("w_q"));
  SIEVE_ASSIGN_OR_RETURN(double i_q, doc.number("i_q"));
  SIEVE_ASSIGN_OR_RETURN(double w_c, doc.number("w_c"));
  SIEVE_ASSIGN_OR_RETURN(double i_c, doc.number("i_c"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> acc_dense, doc.optional_number("accuracy_dense"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> acc, doc.optional_number("accuracy"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> acc_val_dense,
                         doc.optional_number("accuracy_val_dense"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> acc_val, doc.optional_number("accuracy_val"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> sp_conv, doc.optional_number("sparsity_conv"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> sp_fc, doc.optional_number("sparsity_fc"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> r_irr, doc.optional_number("r_irr"));
  SIEVE_ASSIGN_OR_RETURN(std::optional<double> file_bytes, doc.optional_number("file_bytes"));
  SIEVE_ASSIGN_OR_RETURN(std::vector<Field> layer_fields, doc.list("layers"));
  if (layer_fields.empty()) return doc.error("layers: the list is empty: nothing was compressed");
  std::vector<Layer> layers;
  for (const Field& f : layer_fields) {
    SIEVE_ASSIGN_OR_RETURN(Layer l, read_layer(f));
    layers.push_back(std::move(l));
  }
  std::vector<std::string> notes;
  if (doc.has("notes")) {
    SIEVE_ASSIGN_OR_RETURN(std::vector<Field> nf, doc.list("notes"));
    for (const Field& n : nf)
      notes.push_back(n.json().is_string() ? n.json().get<std::string>() : n.json().dump());
  }

  std::string html = "<h2>Compression: " + esc(model) + " with " + esc(recipe) +
                     "</h2>\n<p class=\"muted\">Input " + std::to_string(index) +
                     ": <span class=\"file\">" + esc(input.path) +
                     "</span> (<code>sieve "
                     "compress --json</code>).</p>\n";
  for (const std::string& n : notes) html += "<p class=\"muted\">Note: " + esc(n) + "</p>\n";

  Table summary({"", "value"});
  summary.numeric(1);
  summary.row({"test accuracy, dense → compressed", accuracy_text(acc_dense, acc)});
  if (acc_val_dense || acc_val)
    summary.row({"validation accuracy, dense → compressed", accuracy_text(acc_val_dense, acc_val)});
  summary.row({"dense weights (fp32)", num(dense_bytes) + " B"});
  summary.row(
      {"pruned (p): weights + index", num(w_p) + " + " + num(i_p) + " B, " + times(ratio_p)});
  summary.row(
      {"quantized (q): weights + index", num(w_q) + " + " + num(i_q) + " B, " + times(ratio_q)});
  summary.row(
      {"coded (c): weights + index", num(w_c) + " + " + num(i_c) + " B, " + times(ratio_c)});
  if (sp_conv) summary.row({"sparsity of the conv layers", percent(*sp_conv)});
  if (sp_fc) summary.row({"sparsity of the fc / recurrent layers", percent(*sp_fc)});
  if (r_irr) summary.row({"R(Irr) (JBIG irregularity)", num(*r_irr)});
  if (file_bytes) summary.row({".sieve file", num(*file_bytes) + " B"});
  html += page.table(summary);

  // Per-layer sparsity with the quantization bits and the stored bits per kept weight.
  const bool many = layers.size() > 8;
  const std::string xtics = many ? "set xtics rotate by -40 left\n" : "";
  {
    std::string data;
    for (const Layer& l : layers)
      data += tsv_label(l.node) + "\t" + tsv_number(100.0 * (1.0 - l.density)) + "\t" +
              tsv_number(l.bits) + "\t" + tsv_number(l.bits_per_weight) + "\n";
    Plot p;
    p.title = "Sparsity and bits per layer";
    p.caption =
        "Bars: the share of each layer's weights pruned away (left axis). Lines (right axis): the "
        "quantization bits of a kept weight's code (0: not quantized), and the stored bits per "
        "kept weight after coding, its share of the index included.";
    p.data = {{"layers.tsv", data}};
    p.script = xtics +
               "set style data histograms\nset style histogram clustered gap 1\n"
               "set style fill solid 0.85 border -1\nset grid ytics\n"
               "set yrange [0:100]\nset ylabel \"weights pruned (%)\"\nset ytics nomirror\n"
               "set y2range [0:*]\nset y2tics\nset y2label \"bits per kept weight\"\n"
               "set key outside bottom center horizontal\n"
               "plot \"layers.tsv\" using 2:xtic(1) title \"pruned (%)\" lc rgb \"" +
               series_colour(0) +
               "\", \\\n  \"\" using 0:3 axes x1y2 with linespoints lw 2 pt 7 ps 1.2 lc rgb \"" +
               series_colour(2) +
               "\" title \"quantization bits\", \\\n  \"\" using 0:4 axes x1y2 with linespoints "
               "lw 2 pt 5 ps 1.2 lc rgb \"" +
               series_colour(1) + "\" title \"stored bits per kept weight\"\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }
  // Bytes per layer at each stage (log scale: the stages differ by orders of magnitude).
  {
    std::string data;
    for (const Layer& l : layers)
      data += tsv_label(l.node) + "\t" + tsv_number(4.0 * l.weights) + "\t" +
              tsv_number(l.bytes_p) + "\t" + tsv_number(l.bytes_q) + "\t" + tsv_number(l.bytes_c) +
              "\n";
    Plot p;
    p.title = "Bytes per layer: dense → pruned → quantized → coded";
    p.caption =
        "Weights and their index at each stage (log scale): dense at 4 bytes per weight; p: 4 "
        "bytes per kept weight plus the smallest index; q: fixed-width codes plus codebooks plus "
        "index; c: Huffman-coded codes and index (compress/report.h has the rules).";
    p.data = {{"bytes.tsv", data}};
    p.script = xtics +
               "set style data histograms\nset style histogram clustered gap 1\n"
               "set style fill solid 0.85 border -1\nset grid ytics\nset logscale y\n"
               "set ylabel \"bytes\"\nset key outside bottom center horizontal\n"
               "plot \"bytes.tsv\" using 2:xtic(1) title \"dense (fp32)\" lc rgb \"" +
               series_colour(9) + "\", \"\" using 3 title \"pruned (p)\" lc rgb \"" +
               series_colour(0) + "\", \"\" using 4 title \"quantized (q)\" lc rgb \"" +
               series_colour(1) + "\", \"\" using 5 title \"coded (c)\" lc rgb \"" +
               series_colour(4) + "\"\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }
  // Accuracy along the pruning schedule, with the sparsity each step reached.
  if (doc.has("schedule")) {
    SIEVE_ASSIGN_OR_RETURN(std::vector<Field> sf, doc.list("schedule"));
    std::string on = "test";
    if (doc.has("schedule_scored_on") && doc.json()["schedule_scored_on"].is_string()) {
      SIEVE_ASSIGN_OR_RETURN(on, doc.string("schedule_scored_on"));
    }
    std::string data;
    for (const Field& f : sf) {
      Step s;
      SIEVE_ASSIGN_OR_RETURN(s.step, f.number("step"));
      SIEVE_ASSIGN_OR_RETURN(s.sparsity, f.number("sparsity"));
      SIEVE_ASSIGN_OR_RETURN(s.accuracy_pruned, f.number("accuracy_pruned"));
      SIEVE_ASSIGN_OR_RETURN(s.accuracy, f.number("accuracy"));
      data += tsv_number(s.step) + "\t" + tsv_number(100.0 * s.sparsity) + "\t" +
              tsv_number(100.0 * s.accuracy_pruned) + "\t" + tsv_number(100.0 * s.accuracy) +
              "\n";
    }
    if (!sf.empty()) {
      Plot p;
      p.title = "Accuracy along the pruning schedule";
      p.caption = "Each step prunes to the sparsity of the bars (right axis), then retrains. "
                  "Lines: " + esc(on) +
                  " accuracy right after the step's pruning and after its retraining (left "
                  "axis); the dense model's is the table's first row.";
      p.data = {{"schedule.tsv", data}};
      p.script =
          "set grid ytics\nset xlabel \"step\"\nset ylabel \"" + on +
          " accuracy (%)\"\nset ytics nomirror\nset y2range [0:100]\nset y2tics\n"
          "set y2label \"weights pruned (%)\"\nset style fill solid 0.35 border -1\n"
          "set boxwidth 0.6\nset xtics 1\nset key outside bottom center horizontal\n"
          "plot \"schedule.tsv\" using 1:2 axes x1y2 with boxes lc rgb \"" +
          series_colour(9) + "\" title \"pruned (%)\", \\\n  \"\" using 1:3 with linespoints lw 2 pt 6 "
          "lc rgb \"" + series_colour(2) + "\" title \"after pruning\", \\\n  \"\" using 1:4 with "
          "linespoints lw 2 pt 7 lc rgb \"" + series_colour(0) + "\" title \"after retraining\"\n";
      SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
      html += fig;
    }
  }
  // The masks, one picture per layer: black where every weight is kept, white where all are
  // pruned (the blocks of a coarse-grained mask show as a regular pattern).
  {
    constexpr size_t kMaxPictures = 12;
    size_t drawn = 0, with_image = 0;
    for (const Layer& l : layers) {
      if (l.image.empty()) continue;
      ++with_image;
      if (drawn == kMaxPictures) continue;
      ++drawn;
      std::string data;
      for (int64_t r = 0; r < l.image_rows; ++r) {
        for (int64_t c = 0; c < l.image_cols; ++c)
          data += (c ? "\t" : "") + tsv_number(l.image[static_cast<size_t>(r * l.image_cols + c)]);
        data += "\n";
      }
      Plot p;
      p.title = "Mask of " + l.node;
      p.caption = fmt::format(
          "{} × {} weights (rows: outputs), {} × {} cells of {} × {}: the share kept in each "
          "(black: all kept, white: all pruned); {} kept overall.",
          l.view_rows, l.view_cols, l.image_rows, l.image_cols,
          l.cell_rows, l.cell_cols, percent(l.density));
      p.width = 380;
      p.height = 340;
      p.data = {{"mask.tsv", data}};
      p.script = fmt::format(
          "set xrange [-0.5:{}-0.5]\nset yrange [{}-0.5:-0.5]\nset size ratio -1\n"
          "set cbrange [0:1]\nset palette gray negative\nset cblabel \"kept\"\n"
          "unset xtics\nunset ytics\nunset key\n"
          "plot \"mask.tsv\" matrix using 1:2:3 with image\n",
          l.image_cols, l.image_rows);
      SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
      html += fig;
    }
    if (with_image > drawn)
      html += "<p class=\"muted\">Masks of the first " + std::to_string(drawn) + " of " +
              std::to_string(with_image) + " layers are drawn.</p>\n";
  }
  // The ratio breakdown p → q → c.
  {
    const std::string data = "pruned (p)\t" + tsv_number(ratio_p) + "\nquantized (q)\t" +
                             tsv_number(ratio_q) + "\ncoded (c)\t" + tsv_number(ratio_c) + "\n";
    Plot p;
    p.title = "Compression ratio, stage by stage (p → q → c)";
    p.caption =
        "Dense bytes over the bytes after each stage (weights and index; biases and "
        "other uncompressed tensors are outside the ratios).";
    p.width = 560;
    p.height = 320;
    p.data = {{"ratio.tsv", data}};
    p.script =
        "set style fill solid 0.85 border -1\nset boxwidth 0.6\nset grid ytics\n"
        "set yrange [0:*]\nset offsets 0.5, 0.5, graph 0.12, 0\n"
        "set ylabel \"dense bytes / stage bytes (×)\"\nunset key\n"
        "plot \"ratio.tsv\" using 0:2:xtic(1) with boxes lc rgb \"" +
        series_colour(0) + "\", \"\" using 0:2:(sprintf(\"%.1f×\", $2)) with labels offset 0,0.8\n";
    SIEVE_ASSIGN_OR_RETURN(std::string fig, page.figure(std::move(p)));
    html += fig;
  }

  Table t({"layer", "kind", "index format", "weights", "kept", "sparsity", "bits",
           "bits / kept weight", "pruned B", "quantized B", "coded B", "of which index",
           "codebooks B"});
  t.numeric(3);
  for (const Layer& l : layers)
    t.row({esc(l.node), esc(l.kind), esc(l.index_format), num(l.weights), num(l.kept),
           percent(1.0 - l.density), num(l.bits), num(l.bits_per_weight), num(l.bytes_p),
           num(l.bytes_q), num(l.bytes_c), num(l.index_bytes), num(l.codebook_bytes)});
  html += "<h3>Per layer</h3>\n" + page.table(t);
  return html;
}

}  // namespace sieve::app::report
