// The pruning structure in CompressedLayer and the .sieve container (format version 2, section
// STRUCTURE): a round trip for every method, version-1 files that still load, bad structure
// values refused naming the field, and `sieve inspect` showing it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "compress/container_test_util.h"
#include "sieve/compress/prune/prune.h"
#include "sieve/compress/quant/quantize.h"
#include "sieve/core/atomic_file.h"
#include "sieve/core/block_grid.h"
#include "sieve/io/container/container.h"
#include "unit/onnx_test_util.h"

namespace sieve {
namespace {

using sieve_test::CliRun;
using sieve_test::run_sieve;

uint64_t le(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}
void put(std::string& s, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t crc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}
void fix_crcs(std::string& s) {
  const uint32_t n = static_cast<uint32_t>(le(s, 8, 4));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t e = 16 + 24 * i;
    put(s, e + 4, crc(std::string_view(s).substr(le(s, e + 8, 8), le(s, e + 16, 8))), 4);
  }
  put(s, 16 + 24 * n, crc(std::string_view(s).substr(0, 16 + 24 * n)), 4);
}

// A layer pruned by `spec` as the pipeline records it: the mask, the block and the structure;
// kept values f32. Method "none" leaves it dense.
compress::CompressedLayer pruned_layer(const ir::Graph& g, const std::string& node,
                                       const std::string& weight, const compress::PruneSpec& spec) {
  compress::CompressedLayer l;
  l.node = node;
  l.weight = weight;
  const Tensor& w = g.initializers.at(weight);
  l.shape = w.shape();
  l.block = compress::structure_block(spec, l.shape);
  l.structure = compress::prune_structure(spec, l.shape);
  if (spec.method != "none") {
    Result<Tensor> mask = compress::prune(w, Tensor(), spec, weight);
    EXPECT_TRUE(mask.ok()) << mask.status().to_string();
    l.mask = *mask;
  }
  EXPECT_TRUE(compress::quant::store_unquantized(l, w).ok());
  return l;
}

compress::PruneSpec spec(const std::string& method, double sparsity = 0.5) {
  compress::PruneSpec s;
  s.method = method;
  s.sparsity = sparsity;
  return s;
}

// The tiny network (conv [4, 2, 3, 3], fc1 [24, 144], fc2 [5, 24]) with one spec per layer.
compress::CompressedModel pruned_model(const std::vector<compress::PruneSpec>& specs) {
  compress::CompressedModel m;
  m.graph = container_test::tiny_graph();
  size_t i = 0;
  for (const auto& [node, weight] : container_test::weight_layers(m.graph)) {
    m.layers.push_back(pruned_layer(m.graph, node, weight, specs[i++ % specs.size()]));
  }
  EXPECT_TRUE(compress::decode(m).ok());
  return m;
}

// conv: blocks 3x1x2x2 (none of them divides its dimension: partial edge blocks), fc1: 2:4,
// fc2: balanced over 5 groups.
std::vector<compress::PruneSpec> block_nm_balanced() {
  compress::PruneSpec b = spec("block");
  b.block = {3, 1, 2, 2};
  compress::PruneSpec nm = spec("nm", -1);
  compress::PruneSpec bal = spec("balanced", 0.6);
  bal.pes = 5;
  return {b, nm, bal};
}

std::string file_of(const compress::CompressedModel& m) {
  Result<std::string> b = io::serialize_sieve(m);
  EXPECT_TRUE(b.ok()) << b.status().to_string();
  return b.ok() ? *b : std::string();
}

void expect_round_trip(const compress::CompressedModel& m) {
  const std::string bytes = file_of(m);
  Result<compress::CompressedModel> back = io::parse_sieve(bytes, "m.sieve");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  Result<io::SieveFileInfo> info = io::sieve_file_info(bytes, "m.sieve");
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->version, io::kSieveFormatVersion);
  ASSERT_EQ(back->layers.size(), m.layers.size());
  for (size_t i = 0; i < m.layers.size(); ++i) {
    SCOPED_TRACE(m.layers[i].weight + " " + m.layers[i].structure.method);
    container_test::expect_layers_identical(m.layers[i], back->layers[i]);
    EXPECT_EQ(back->layers[i].structure, m.layers[i].structure);
    EXPECT_EQ(info->layers[i].structure, m.layers[i].structure);
  }
  // Writing what was read gives the same bytes.
  EXPECT_EQ(file_of(*back), bytes);
}

TEST(ContainerStructure, EveryMethodRoundTrips) {
  compress::PruneSpec strided = spec("block", 0.4);
  strided.block = {4, 6};
  strided.stride = {2, 9};  // overlapping rows, gaps between columns
  compress::PruneSpec nm13 = spec("nm", -1);
  nm13.n = 1;
  nm13.m = 3;
  compress::PruneSpec quality = spec("magnitude", -1);
  quality.quality = 0.7;
  compress::PruneSpec bal = spec("balanced", 0.5);
  bal.pes = 1;
  const std::vector<std::vector<compress::PruneSpec>> cases = {
      block_nm_balanced(),
      {spec("magnitude", 0.7), strided, spec("none")},
      {spec("filter"), spec("channel"), nm13},
      {spec("none"), quality, bal},
  };
  for (const auto& c : cases) expect_round_trip(pruned_model(c));
}

TEST(ContainerStructure, TheRecordIsWhatThePrunerDid) {
  const compress::CompressedModel m = pruned_model(block_nm_balanced());
  const compress::CompressedLayer& conv = m.layers[0];
  EXPECT_EQ(conv.structure.method, "block");
  EXPECT_EQ(conv.block, (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(conv.structure.stride, (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(m.layers[1].structure.n, 2);
  EXPECT_EQ(m.layers[1].structure.m, 4);
  EXPECT_EQ(m.layers[1].block, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(m.layers[2].structure.groups, 5);
  for (const compress::CompressedLayer& l : m.layers) {
    EXPECT_TRUE(compress::check_structure(l).ok()) << l.weight;
  }
}

// Bytes of the STRUCTURE entries of pruned_model(block_nm_balanced()): u32 count, then per
// layer method u8, stride_rank u8 (0: the tilings and non-block methods), n, m, groups u32,
// group_axis u8 = 15 bytes.
struct Entry {
  size_t method, stride_rank, n, m, groups, group_axis;
};
Entry entry(const std::string& bytes, size_t layer) {
  Result<io::SieveFileInfo> info = io::sieve_file_info(bytes);
  EXPECT_TRUE(info.ok());
  size_t at = 0;
  for (const auto& s : info->sections) {
    if (s.name == "STRUCTURE") at = s.offset;
  }
  EXPECT_NE(at, 0u);
  const size_t e = at + 4 + 15 * layer;
  return {e, e + 1, e + 2, e + 6, e + 10, e + 14};
}

TEST(ContainerStructure, LayoutIsAsDocumented) {
  const std::string bytes = file_of(pruned_model(block_nm_balanced()));
  Entry conv = entry(bytes, 0), fc1 = entry(bytes, 1), fc2 = entry(bytes, 2);
  EXPECT_EQ(le(bytes, conv.method - 4, 4), 3u);   // layer_count
  EXPECT_EQ(le(bytes, conv.method, 1), 3u);       // block
  EXPECT_EQ(le(bytes, conv.stride_rank, 1), 0u);  // a tiling: stride = block
  EXPECT_EQ(le(bytes, fc1.method, 1), 4u);        // nm
  EXPECT_EQ(le(bytes, fc1.n, 4), 2u);
  EXPECT_EQ(le(bytes, fc1.m, 4), 4u);
  EXPECT_EQ(le(bytes, fc2.method, 1), 7u);  // balanced
  EXPECT_EQ(le(bytes, fc2.groups, 4), 5u);
  EXPECT_EQ(le(bytes, fc2.group_axis, 1), 0u);
  EXPECT_EQ(fc2.group_axis + 1, bytes.size());  // STRUCTURE is the last section
}

TEST(ContainerStructure, BadValuesAreRefusedNamingTheField) {
  const std::string good = file_of(pruned_model(block_nm_balanced()));
  ASSERT_TRUE(io::parse_sieve(good, "m.sieve").ok());
  const Entry conv = entry(good, 0), fc1 = entry(good, 1), fc2 = entry(good, 2);
  struct Case {
    size_t at;
    uint64_t value;
    int bytes;
    std::string expect;
  };
  const std::string s = "m.sieve: section STRUCTURE: ";
  const Case cases[] = {
      {fc1.n, 5, 4, s + "layer 1 ('fc1.weight'): n = 5 outside 0..m = 4"},
      {fc1.m, 0, 4, s + "layer 1 ('fc1.weight'): m = 0 must be >= 1"},
      // fc1's 2:4 mask is stored N:M packed (mask format 8), whose stream length follows n: a
      // changed n no longer fits it.
      {fc1.n, 1, 4,
       "m.sieve: section MASKS: layer 1 ('fc1.weight'): 6144 index bits, the 1536 groups of "
       "[24,256] at n:m = 1:4 need 3072"},
      {fc2.groups, 0, 4, s + "layer 2 ('fc2.weight'): groups = 0 outside 1..rows = 5"},
      {fc2.groups, 6, 4, s + "layer 2 ('fc2.weight'): groups = 6 outside 1..rows = 5"},
      {fc2.group_axis, 1, 1, s + "layer 2 ('fc2.weight'): group_axis = 1"},
      {fc2.n, 3, 4, s + "layer 2 ('fc2.weight'): n:m = 3:0 given for method \"balanced\""},
      {conv.method, 99, 1,
       s + "layer 0 ('conv.weight'): method = 99 unknown; known: 0 (not "
           "recorded), 1 (none), 2 (magnitude), 3 (block), 4 (nm)"},
      {conv.method, 4, 1, s + "layer 0 ('conv.weight'): block[0] = 3 for method \"nm\""},
      {conv.method, 1, 1, s + "layer 0 ('conv.weight'): block[0] = 3 for method \"none\""},
      {conv.stride_rank, 2, 1, s + "layer 0 ('conv.weight'): stride_rank = 2 (0, or the rank 4"},
      {fc1.stride_rank, 2, 1,
       s + "layer 1 ('fc1.weight'): stride_rank = 2 (0, or the rank 2 "
           "for method block; method is \"nm\")"},
      {conv.method - 4, 4, 4, s + "layer_count = 4, the layer table has 3 layers"},
  };
  for (const Case& c : cases) {
    std::string bad = good;
    put(bad, c.at, c.value, c.bytes);
    fix_crcs(bad);
    Result<compress::CompressedModel> r = io::parse_sieve(bad, "m.sieve");
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << "want: " << c.expect << "\ngot:  " << r.status().message();
  }
  // A mask that does not keep to its blocks (the pruned blocks are the structure's promise).
  compress::CompressedModel m = pruned_model(block_nm_balanced());
  compress::CompressedLayer& conv_layer = m.layers[0];
  uint8_t* mask = conv_layer.mask.data<uint8_t>();
  Result<BlockGrid> grid = BlockGrid::make(conv_layer.shape, conv_layer.block);
  ASSERT_TRUE(grid.ok());
  bool flipped = false;
  for (int64_t b = 0; b < grid->blocks() && !flipped; ++b) {
    std::vector<int64_t> elems;
    grid->for_each_element(b, [&](int64_t i) { elems.push_back(i); });
    if (elems.size() > 1 && mask[elems[0]] == 0) {
      mask[elems[0]] = 1;  // the block is no longer pruned whole
      flipped = true;
    }
  }
  ASSERT_TRUE(flipped);
  conv_layer.values.clear();
  ASSERT_TRUE(
      compress::quant::store_unquantized(conv_layer, m.graph.initializers.at(conv_layer.weight))
          .ok());
  Result<std::string> refused = io::serialize_sieve(m);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("layer 0 ('conv.weight'): structure: weight "),
            std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find(
                "is pruned but no block of 3x1x2x2 (stride 3x1x2x2) holding it is pruned whole"),
            std::string::npos)
      << refused.status().message();
}

TEST(ContainerStructure, ZeroOrOversizedBlockDimensionsAreRefused) {
  // The block shape is the LAYERS field `block` (docs/formats/container.md).
  const std::string good = file_of(pruned_model(block_nm_balanced()));
  Result<io::SieveFileInfo> info = io::sieve_file_info(good);
  ASSERT_TRUE(info.ok());
  size_t p = 0;
  for (const auto& s : info->sections) {
    if (s.name == "LAYERS") p = s.offset;
  }
  p += 4;
  p += 4 + le(good, p, 4);  // node
  p += 4 + le(good, p, 4);  // weight
  const size_t block_at = p + 1 + 8 * 4 + 1;
  ASSERT_EQ(le(good, block_at, 8), 3u);
  for (const auto& [v, want] : std::vector<std::pair<uint64_t, std::string>>{
           {0, "block dimension 0 = 0 outside 1..4"}, {5, "block dimension 0 = 5 outside 1..4"}}) {
    std::string bad = good;
    put(bad, block_at, v, 8);
    fix_crcs(bad);
    Result<compress::CompressedModel> r = io::parse_sieve(bad, "m.sieve");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(
        r.status().message().find("m.sieve: section LAYERS: layer 0 ('conv.weight'): " + want),
        std::string::npos)
        << r.status().message();
  }
}

TEST(ContainerStructure, TheWriterRefusesBadStructures) {
  compress::CompressedModel m = pruned_model(block_nm_balanced());
  m.layers[1].structure.n = 5;
  Result<std::string> r = io::serialize_sieve(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layer 1 ('fc1.weight'): structure: n = 5 outside 0..m = 4"),
            std::string::npos)
      << r.status().message();
  m = pruned_model(block_nm_balanced());
  m.layers[0].structure.method = "blok";
  r = io::serialize_sieve(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("method \"blok\" unknown"), std::string::npos)
      << r.status().message();
}

// Files of format version 1 (tests/data/container-v1/, written by the version-1 writer) load:
// the structure is not recorded (method ""), the block is the one the file records.
TEST(ContainerStructure, VersionOneFilesLoadWithTheStructureNotRecorded) {
  const std::filesystem::path dir = std::filesystem::path(SIEVE_TEST_DATA_DIR) / "container-v1";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".sieve") continue;
    ++files;
    SCOPED_TRACE(e.path().string());
    Result<std::string> bytes = read_file(e.path().string());
    ASSERT_TRUE(bytes.ok());
    ASSERT_EQ(le(*bytes, 6, 2), 1u);
    Result<io::SieveFileInfo> info = io::sieve_file_info(*bytes);
    ASSERT_TRUE(info.ok()) << info.status().to_string();
    EXPECT_EQ(info->version, 1);
    EXPECT_EQ(info->sections.size(), 8u);
    Result<compress::CompressedModel> m = io::read_sieve(e.path().string());
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    ASSERT_FALSE(m->layers.empty());
    for (const compress::CompressedLayer& l : m->layers) {
      EXPECT_FALSE(l.structure.recorded()) << l.weight;
      EXPECT_EQ(l.structure, compress::PruneStructure{});
    }
    // Written again it is a version-2 file that records "not recorded" (method 0), larger by
    // the STRUCTURE section (u32 count + 15 bytes per layer) and its table entry (24 bytes).
    const std::string again = file_of(*m);
    EXPECT_EQ(le(again, 6, 2), 2u);
    EXPECT_EQ(again.size(), bytes->size() + 24 + 4 + 15 * m->layers.size());
    Result<compress::CompressedModel> back = io::parse_sieve(again, "again.sieve");
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    for (size_t i = 0; i < m->layers.size(); ++i) {
      container_test::expect_layers_identical(m->layers[i], back->layers[i]);
      EXPECT_FALSE(back->layers[i].structure.recorded());
    }
  }
  EXPECT_GE(files, 2);
  // The cambricon-s LeNet-5 seed (4 layers, written by the version-1 writer): 88 bytes more as
  // version 2. A recipe's block layers are tilings (no stride stored), so `sieve compress` of
  // LeNet-5 also writes 88 bytes more than before.
  {
    Result<std::string> old = read_file(std::string(SIEVE_TEST_DATA_DIR) +
                                        "/fuzz-regressions/container/valid-cambricon-s-lenet5.sieve");
    ASSERT_TRUE(old.ok());
    Result<compress::CompressedModel> l5 = io::parse_sieve(*old, "lenet5.sieve");
    ASSERT_TRUE(l5.ok()) << l5.status().to_string();
    ASSERT_EQ(l5->layers.size(), 4u);
    EXPECT_EQ(file_of(*l5).size(), old->size() + 88);
  }
  // The block of the block-pruned v1 file is still read from its layer table.
  Result<compress::CompressedModel> blocky =
      io::read_sieve((dir / "tiny-mlp-block2x2-noquant.sieve").string());
  ASSERT_TRUE(blocky.ok());
  EXPECT_EQ(blocky->layers[0].block, (std::vector<int64_t>{2, 2}));
}

// The valid seeds of the fuzz replay (version 1 and version 2 files) all load.
TEST(ContainerStructure, ValidFuzzSeedsOfBothVersionsLoad) {
  const std::filesystem::path dir =
      std::filesystem::path(SIEVE_TEST_DATA_DIR) / "fuzz-regressions" / "container";
  std::set<uint64_t> versions;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("tiny-mlp-", 0) != 0 && name.rfind("valid-", 0) != 0) continue;
    SCOPED_TRACE(name);
    Result<std::string> bytes = read_file(e.path().string());
    ASSERT_TRUE(bytes.ok());
    versions.insert(le(*bytes, 6, 2));
    Result<compress::CompressedModel> m = io::parse_sieve(*bytes, name);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    if (le(*bytes, 6, 2) == 2) {
      for (const compress::CompressedLayer& l : m->layers) {
        EXPECT_TRUE(l.structure.recorded()) << l.weight;
      }
    }
  }
  EXPECT_EQ(versions, (std::set<uint64_t>{1, 2}));
}

TEST(ContainerStructure, InspectShowsTheStructureAndRefusesBadOnes) {
  onnx_test::ScratchDir dir;
  const std::string path = dir.file("s.sieve");
  const std::string good = file_of(pruned_model(block_nm_balanced()));
  ASSERT_TRUE(write_file_atomic(path, good).ok());
  CliRun r = run_sieve("inspect " + path);
  ASSERT_EQ(r.rc, 0) << r.out;
  for (const char* s : {"structure", "block 3x1x2x2", "nm 2:4", "balanced 5 groups"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  }
  CliRun j = run_sieve("inspect --json " + path);
  ASSERT_EQ(j.rc, 0) << j.out;
  const nlohmann::json doc = nlohmann::json::parse(j.out);
  const nlohmann::json& layers = doc["sieve"]["layers"];
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0]["structure"]["method"], "block");
  EXPECT_EQ(layers[0]["structure"]["block"], (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(layers[0]["structure"]["stride"], (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(layers[1]["structure"]["n"], 2);
  EXPECT_EQ(layers[1]["structure"]["m"], 4);
  EXPECT_EQ(layers[2]["structure"]["groups"], 5);
  EXPECT_EQ(layers[2]["structure"]["group_axis"], 0);
  // A version-1 file: not recorded.
  const std::string v1 =
      (std::filesystem::path(SIEVE_TEST_DATA_DIR) / "container-v1/tiny-mlp-block2x2-noquant.sieve")
          .string();
  CliRun old = run_sieve("inspect --json " + v1);
  ASSERT_EQ(old.rc, 0) << old.out;
  EXPECT_TRUE(nlohmann::json::parse(old.out)["sieve"]["layers"][0]["structure"].is_null());
  // A bad value: a non-zero exit and a message naming the file, the section and the field.
  std::string bad = good;
  put(bad, entry(good, 1).n, 7, 4);
  fix_crcs(bad);
  ASSERT_TRUE(write_file_atomic(path, bad).ok());
  CliRun e = run_sieve("inspect " + path);
  EXPECT_NE(e.rc, 0);
  EXPECT_NE(e.out.find(path + ": section STRUCTURE: layer 1 ('fc1.weight'): n = 7"),
            std::string::npos)
      << e.out;
}

}  // namespace
}  // namespace sieve
