#include "sieve/app/onnx_conformance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "sieve/io/onnx/onnx.h"

namespace sieve::app {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

bool looks_like_data_root(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p / "node", ec);
}

// Runs `dpkg -L libonnx-testdata` and returns the data folder it lists, or "".
std::string dpkg_testdata_dir() {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen("dpkg -L libonnx-testdata 2>/dev/null", "r"),
                                             pclose);
  if (!pipe) return "";
  char buf[4096];
  std::string found;
  while (std::fgets(buf, sizeof(buf), pipe.get()) != nullptr) {
    std::string line(buf);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (found.empty() && line.size() >= 5 && line.compare(line.size() - 5, 5, "/data") == 0 &&
        looks_like_data_root(line)) {
      found = line;
    }
  }
  return found;
}

int64_t int_at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kI64: return t.data<int64_t>()[i];
    case DType::kI32: return t.data<int32_t>()[i];
    case DType::kI16: return t.data<int16_t>()[i];
    case DType::kI8: return t.data<int8_t>()[i];
    case DType::kU8: return t.data<uint8_t>()[i];
    case DType::kF32: break;
  }
  SIEVE_ASSERT(false, "int_at on {}", dtype_name(t.dtype()));
  return 0;
}

}  // namespace

Result<std::string> default_onnx_testdata_dir() {
  if (const char* env = std::getenv("SIEVE_ONNX_TESTDATA_DIR"); env != nullptr && *env) {
    if (!looks_like_data_root(env)) {
      return not_found("SIEVE_ONNX_TESTDATA_DIR={}: no node/ folder there", env);
    }
    return std::string(env);
  }
  std::string d = dpkg_testdata_dir();
  if (!d.empty()) return d;
  for (const char* p :
       {"/usr/share/libonnx-testdata/data", "/usr/include/onnx/backend/test/data"}) {
    if (looks_like_data_root(p)) return std::string(p);
  }
  return not_found(
      "ONNX test data not found: install the Debian package libonnx-testdata or "
      "set SIEVE_ONNX_TESTDATA_DIR (or pass --data-dir)");
}

bool is_conformance_case(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "model.onnx", ec);
}

Result<std::vector<std::string>> expand_cases(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (is_conformance_case(p)) {
      out.push_back(p);
      continue;
    }
    if (!fs::is_directory(p, ec)) {
      return not_found("{}: not a test case directory (no model.onnx) nor a folder of cases", p);
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->is_directory(ec) && is_conformance_case(it->path().string())) {
        found.push_back(it->path().string());
        it.disable_recursion_pending();
      }
    }
    if (ec) return io_error("{}: cannot list: {}", p, ec.message());
    if (found.empty()) return not_found("{}: no test cases (model.onnx) under this folder", p);
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

Result<std::string> resolve_case(const std::string& name, const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(name, ec)) return name;
  if (data_dir.empty()) {
    return not_found("{}: no such case directory (and no ONNX test data folder to look in)", name);
  }
  fs::path direct = fs::path(data_dir) / name;
  if (fs::exists(direct, ec)) return direct.string();
  for (const char* suite : kSuites) {
    fs::path p = fs::path(data_dir) / suite / name;
    if (fs::exists(p, ec)) return p.string();
  }
  return not_found("{}: no such case in {} (looked in {})", name, data_dir,
                   "node, pytorch-converted, pytorch-operator, simple");
}

Result<std::vector<std::string>> read_case_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return not_found("{}: no such list file", path);
    return io_error("{}: cannot open the list file", path);
  }
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    auto e = line.find_last_not_of(" \t\r");
    names.push_back(line.substr(b, e - b + 1));
  }
  return names;
}

Status compare_tensors(const Tensor& expected, const Tensor& actual, double rtol, double atol) {
  if (expected.dtype() != actual.dtype()) {
    return invalid_argument("dtype {} expected, got {}", dtype_name(expected.dtype()),
                            dtype_name(actual.dtype()));
  }
  if (expected.shape() != actual.shape()) {
    return invalid_argument("shape {} expected, got {}", shape_str(expected.shape()),
                            shape_str(actual.shape()));
  }
  const int64_t n = expected.numel();
  int64_t bad = 0;
  int64_t first = -1;
  double max_diff = 0;
  std::string first_desc;
  if (expected.dtype() == DType::kF32) {
    const float* e = expected.data<float>();
    const float* a = actual.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      const double x = e[i];
      const double y = a[i];
      bool ok;
      if (std::isnan(x) || std::isnan(y)) {
        ok = std::isnan(x) && std::isnan(y);
      } else if (std::isinf(x) || std::isinf(y)) {
        ok = x == y;
      } else {
        const double d = std::fabs(y - x);
        max_diff = std::max(max_diff, d);
        ok = d <= atol + rtol * std::fabs(x);
      }
      if (!ok) {
        if (first < 0) {
          first = i;
          first_desc = fmt::format("expected {:.9g}, got {:.9g}", x, y);
        }
        ++bad;
      }
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t x = int_at(expected, i);
      const int64_t y = int_at(actual, i);
      if (x != y) {
        if (first < 0) {
          first = i;
          first_desc = fmt::format("expected {}, got {}", x, y);
        }
        max_diff = std::max(max_diff, std::fabs(static_cast<double>(y) - static_cast<double>(x)));
        ++bad;
      }
    }
  }
  if (bad == 0) return ok_status();
  return invalid_argument(
      "{} of {} elements differ (rtol {}, atol {}); first at flat index {}: "
      "{}; max |diff| {:.6g}",
      bad, n, rtol, atol, first, first_desc, max_diff);
}

}  // namespace sieve::app
