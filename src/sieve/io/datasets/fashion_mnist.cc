#include "sieve/io/datasets/fashion_mnist.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

namespace sieve::io {
namespace {

constexpr const char* kDebianPackage = "dataset-fashion-mnist";
constexpr const char* kDebianDir = "/usr/share/datasets/fashion-mnist";
constexpr const char* kProbeFile = "t10k-images-idx3-ubyte.gz";
constexpr int kImageSide = 28;  // Fashion-MNIST images are 28x28 (Xiao et al. 2017)
constexpr int kNumClasses = 10;
// The most data an IDX header may declare (elements × element size): 256 MiB, over five times
// the largest Fashion-MNIST file (train images: 60,000 × 28 × 28 = 47,040,000 bytes). The gzip
// stream is inflated only as far as the header declares, so a small file that claims or expands
// to more is refused before the memory is taken.
constexpr uint64_t kMaxIdxDataBytes = uint64_t{1} << 28;
// An IDX header is at most 4 + 4 × 255 bytes; inflating this much first always yields it.
constexpr size_t kHeaderProbeBytes = 1024;
// Inflated past the declared size so that parse_idx can count a little trailing data exactly.
constexpr size_t kTrailingSlack = size_t{1} << 16;

size_t idx_element_size(uint8_t type_code);

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return invalid_argument("{}: is a directory, expected a gzip IDX file", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("{}: cannot open ({})", path, std::strerror(errno));
  try {
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (in.bad()) return io_error("{}: read error", path);
    return bytes;
  } catch (const std::ios_base::failure& e) {  // libstdc++'s filebuf throws on read errors
    return io_error("{}: read error: {}", path, e.what());
  }
}

constexpr uint64_t kMalformedHeader = UINT64_MAX;

// The total size (header + data) an IDX prefix declares, once `prefix` holds the whole header;
// 0 while it does not yet; kMalformedHeader if the magic is not an IDX one (parse_idx names
// what is wrong). Declarations past kMaxIdxDataBytes are refused here, before any more is
// inflated.
Result<uint64_t> idx_declared_size(const std::string& path, std::span<const uint8_t> prefix) {
  if (prefix.size() < 4) return uint64_t{0};
  const size_t elem = idx_element_size(prefix[2]);
  const size_t rank = prefix[3];
  const size_t header = 4 + 4 * rank;
  // parse_idx names a bad magic, type or rank; here only the size matters.
  if (prefix[0] != 0 || prefix[1] != 0 || elem == 0 || rank == 0) return kMalformedHeader;
  if (prefix.size() < header) return uint64_t{0};
  unsigned __int128 need = elem;
  std::vector<uint32_t> dims;
  for (size_t i = 0; i < rank; ++i) {
    const uint8_t* p = prefix.data() + 4 + 4 * i;
    dims.push_back(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]);
    // Clamped after each step, so the product stays below 2^61 and cannot overflow.
    need = std::min<unsigned __int128>(need * dims.back(), kMaxIdxDataBytes + 1);
  }
  if (need > kMaxIdxDataBytes) {
    return data_loss("{}: header declares dims {} of {}-byte elements, more than the {} bytes an "
                     "IDX dataset file may hold",
                     path, fmt::join(dims, "x"), elem, kMaxIdxDataBytes);
  }
  return static_cast<uint64_t>(header) + static_cast<uint64_t>(need);
}

// Decompresses a whole gzip file (one or more members) in memory. inflate() is used rather than
// gzread() because gzread() passes non-gzip input through unchanged and reports a truncated
// stream only as a short read. It inflates the IDX header first, then at most kTrailingSlack
// bytes more than the header declares, so a gzip bomb costs no more memory than its header
// admits.
Result<std::vector<uint8_t>> gunzip(const std::string& path, std::span<const uint8_t> gz) {
  if (gz.size() < 2 || gz[0] != 0x1f || gz[1] != 0x8b) {
    return data_loss("{}: not a gzip file (starts with {}, expected 0x1f 0x8b)", path,
                     gz.size() < 2 ? std::string("fewer than 2 bytes")
                                   : fmt::format("0x{:02x} 0x{:02x}", gz[0], gz[1]));
  }
  if (gz.size() > std::numeric_limits<uInt>::max()) {
    return data_loss("{}: {} bytes, too large for a dataset file", path, gz.size());
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {  // 16: expect a gzip header
    return internal_error("{}: zlib inflateInit2 failed", path);
  }
  struct Closer {
    z_stream* z;
    ~Closer() { inflateEnd(z); }
  } closer{&zs};

  std::vector<uint8_t> out(kHeaderProbeBytes);
  // Until the header is in, only kHeaderProbeBytes; then the declared size + kTrailingSlack.
  uint64_t limit = 0;
  zs.next_in = const_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  size_t produced = 0;
  for (;;) {
    if (limit == 0 && produced >= 4) {
      SIEVE_ASSIGN_OR_RETURN(limit, idx_declared_size(path, {out.data(), produced}));
      if (limit == kMalformedHeader) break;  // parse_idx names the bad magic, type or rank
      if (limit != 0) out.resize(std::max<size_t>(produced, limit + kTrailingSlack));
    }
    if (produced == out.size()) {
      if (limit != 0) {
        return data_loss(
            "{}: decompresses to more than {} bytes, but its IDX header declares {} (refused "
            "without inflating the rest)",
            path, produced, limit);
      }
      out.resize(out.size() + kHeaderProbeBytes);
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(
        std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max()));
    const uInt avail_before = zs.avail_out;
    const int ret = inflate(&zs, Z_NO_FLUSH);
    produced += avail_before - zs.avail_out;
    if (ret == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another member follows (gzip allows concatenation), or trailing garbage.
      if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        if (inflateReset(&zs) != Z_OK) return internal_error("{}: zlib inflateReset failed", path);
        continue;
      }
      return data_loss("{}: {} bytes of trailing garbage after the gzip stream", path, zs.avail_in);
    }
    if (ret == Z_OK) {
      if (zs.avail_in == 0 && zs.avail_out > 0) {
        return data_loss("{}: truncated gzip stream (input ends after {} bytes decompressed)", path,
                         produced);
      }
      continue;
    }
    if (ret == Z_BUF_ERROR && zs.avail_in == 0) {
      return data_loss("{}: truncated gzip stream (input ends after {} bytes decompressed)", path,
                       produced);
    }
    return data_loss("{}: corrupt gzip stream ({})", path,
                     zs.msg != nullptr ? zs.msg : fmt::format("zlib error {}", ret));
  }
  out.resize(produced);
  return out;
}

size_t idx_element_size(uint8_t type_code) {
  switch (type_code) {
    case 0x08: return 1;  // unsigned byte
    case 0x09: return 1;  // signed byte
    case 0x0B: return 2;  // short
    case 0x0C: return 4;  // int
    case 0x0D: return 4;  // float
    case 0x0E: return 8;  // double
    default: return 0;
  }
}

Result<IdxFile> parse_idx(const std::string& path, std::vector<uint8_t> bytes) {
  if (bytes.size() < 4) {
    return data_loss("{}: {} bytes decompressed, too short for an IDX header", path, bytes.size());
  }
  const uint32_t magic = uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 |
                         uint32_t{bytes[2]} << 8 | uint32_t{bytes[3]};
  if (bytes[0] != 0 || bytes[1] != 0) {
    return data_loss("{}: magic 0x{:08x}, expected 0x0000TTRR (IDX: two zero bytes, type, rank)",
                     path, magic);
  }
  IdxFile f;
  f.type_code = bytes[2];
  const size_t elem = idx_element_size(f.type_code);
  if (elem == 0) {
    return data_loss("{}: magic 0x{:08x}: unknown IDX element type 0x{:02x}", path, magic,
                     f.type_code);
  }
  const size_t rank = bytes[3];
  if (rank == 0) return data_loss("{}: magic 0x{:08x}: rank 0", path, magic);
  const size_t header = 4 + 4 * rank;
  if (bytes.size() < header) {
    return data_loss("{}: {} bytes, too short for the header of a rank-{} IDX file ({} bytes)",
                     path, bytes.size(), rank, header);
  }
  // Dimensions are < 2^32 each; the product is checked against the file size as it grows, so
  // it cannot overflow.
  unsigned __int128 need = elem;
  for (size_t i = 0; i < rank; ++i) {
    const uint8_t* p = bytes.data() + 4 + 4 * i;
    const uint32_t d = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    f.dims.push_back(d);
    need *= d;
  }
  const size_t have = bytes.size() - header;
  if (need != have) {
    const std::string dims = fmt::format("{}", fmt::join(f.dims, "x"));
    if (need > have) {
      return data_loss("{}: data is {} bytes, but dims {} need {} (truncated)", path, have, dims,
                       static_cast<uint64_t>(std::min<unsigned __int128>(need, UINT64_MAX)));
    }
    return data_loss("{}: data is {} bytes, but dims {} need {} ({} bytes of trailing data)", path,
                     have, dims, static_cast<uint64_t>(need), have - static_cast<size_t>(need));
  }
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  f.data = std::move(bytes);
  return f;
}

bool has_probe_file(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(dir) / kProbeFile, ec);
}

// The folder `dpkg -L dataset-fashion-mnist` lists the test images in, or "".
std::string dpkg_dir() {
  std::string cmd = fmt::format("dpkg -L {} 2>/dev/null", kDebianPackage);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::string found;
  char line[4096];
  const std::string suffix = std::string("/") + kProbeFile;
  while (std::fgets(line, sizeof line, p) != nullptr) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (found.empty() && s.size() > suffix.size() &&
        s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
      found = s.substr(0, s.size() - suffix.size());
    }
  }
  pclose(p);
  return found;
}

}  // namespace

Result<IdxFile> parse_idx_gz(std::span<const uint8_t> gz, const std::string& origin) {
  SIEVE_ASSIGN_OR_RETURN(std::vector<uint8_t> raw, gunzip(origin, gz));
  return parse_idx(origin, std::move(raw));
}

Result<IdxFile> read_idx_gz(const std::string& path) {
  SIEVE_ASSIGN_OR_RETURN(std::vector<uint8_t> gz, read_file(path));
  return parse_idx_gz(gz, path);
}

Result<std::string> default_fashion_mnist_dir() {
  if (const char* env = std::getenv("SIEVE_FASHION_MNIST_DIR"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  const std::string from_dpkg = dpkg_dir();
  if (!from_dpkg.empty() && has_probe_file(from_dpkg)) return from_dpkg;
  if (has_probe_file(kDebianDir)) return std::string(kDebianDir);
  return not_found(
      "Fashion-MNIST not found: SIEVE_FASHION_MNIST_DIR is not set, `dpkg -L {}` lists no {}, "
      "and {} has none; install the Debian package {} or give the folder explicitly",
      kDebianPackage, kProbeFile, kDebianDir, kDebianPackage);
}

Result<Dataset> load_fashion_mnist(const std::string& split, const std::string& dir,
                                   int64_t limit) {
  std::string prefix;
  if (split == "train") {
    prefix = "train";
  } else if (split == "test") {
    prefix = "t10k";
  } else {
    return invalid_argument("Fashion-MNIST: unknown split \"{}\"; expected train or test", split);
  }
  std::string folder = dir;
  if (folder.empty()) {
    SIEVE_ASSIGN_OR_RETURN(folder, default_fashion_mnist_dir());
  }
  const std::string images_path =
      (std::filesystem::path(folder) / (prefix + "-images-idx3-ubyte.gz")).string();
  const std::string labels_path =
      (std::filesystem::path(folder) / (prefix + "-labels-idx1-ubyte.gz")).string();
  SIEVE_ASSIGN_OR_RETURN(IdxFile images, read_idx_gz(images_path));
  SIEVE_ASSIGN_OR_RETURN(IdxFile labels, read_idx_gz(labels_path));
  return fashion_mnist_from_idx(images, images_path, labels, labels_path, limit);
}

Result<Dataset> fashion_mnist_from_idx(const IdxFile& images, const std::string& images_path,
                                       const IdxFile& labels, const std::string& labels_path,
                                       int64_t limit) {
  if (images.magic() != 0x00000803) {
    return data_loss("{}: magic 0x{:08x}, expected 0x00000803 (images)", images_path,
                     images.magic());
  }
  if (labels.magic() != 0x00000801) {
    return data_loss("{}: magic 0x{:08x}, expected 0x00000801 (labels)", labels_path,
                     labels.magic());
  }
  if (images.dims[1] != kImageSide || images.dims[2] != kImageSide) {
    return data_loss("{}: image size {}x{}, expected {}x{}", images_path, images.dims[1],
                     images.dims[2], kImageSide, kImageSide);
  }
  const int64_t count = images.dims[0];
  if (labels.dims[0] != count) {
    return data_loss("{}: {} labels, but {} has {} images", labels_path, labels.dims[0],
                     images_path, count);
  }
  for (int64_t i = 0; i < count; ++i) {
    if (labels.data[static_cast<size_t>(i)] >= kNumClasses) {
      return data_loss("{}: label[{}] = {}, expected < {}", labels_path, i,
                       labels.data[static_cast<size_t>(i)], kNumClasses);
    }
  }
  const int64_t n = limit >= 0 ? std::min(limit, count) : count;
  Dataset ds;
  ds.num_classes = kNumClasses;
  ds.images = Tensor(DType::kF32, {n, 1, kImageSide, kImageSide});
  float* px = ds.images.data<float>();
  const int64_t pixels = n * kImageSide * kImageSide;
  for (int64_t i = 0; i < pixels; ++i) px[i] = static_cast<float>(images.data[i]) / 255.0f;
  ds.labels.assign(labels.data.begin(), labels.data.begin() + n);
  return ds;
}

}  // namespace sieve::io
