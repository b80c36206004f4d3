// The ONNX conformance runner behind `sieve onnx-test`: finds ONNX backend test cases
// (a directory with model.onnx and test_data_set_N/{input,output}_K.pb), imports the model,
// runs it on the reference engine (runtime::run_graph) and compares every output with ONNX's
// tolerances (|actual - expected| <= atol + rtol * |expected|, NaN equals NaN, shapes and
// dtypes must match exactly).
//
// The test data is Debian's libonnx-testdata; default_onnx_testdata_dir() finds it at run time
// (env SIEVE_ONNX_TESTDATA_DIR, then `dpkg -L libonnx-testdata`, then the usual path).
// Thread-safety: functions are reentrant; run_conformance_case reads files only.
#pragma once

#include <string>
#include <vector>

#include "sieve/core/status.h"
#include "sieve/core/tensor.h"

namespace sieve::app {

struct ConformanceOptions {
  double rtol = 1e-3;  // ONNX backend test defaults
  double atol = 1e-7;
  bool verbose = false;  // per data set details in CaseResult::log
  // Export the imported graph to ONNX (opset 13) and import it back before running, so the
  // case checks export as well as import.
  bool round_trip = false;
};

enum class CaseOutcome { kPass, kFail, kSkip };

struct CaseResult {
  std::string name;  // "node/test_relu": the case directory and its parent
  CaseOutcome outcome = CaseOutcome::kFail;
  std::string reason;  // why it failed or was skipped (unsupported ops are named)
  std::string log;     // verbose details (one line per data set and output)
  int data_sets = 0;
  double seconds = 0;
};

// The folder holding node/, pytorch-converted/, pytorch-operator/, simple/. NotFound if the
// package is not installed and SIEVE_ONNX_TESTDATA_DIR is unset.
Result<std::string> default_onnx_testdata_dir();

// True if `dir` is a test case (contains model.onnx).
bool is_conformance_case(const std::string& dir);
// Expands each path: a case stays; any other directory is searched (recursively) for cases,
// in sorted order. A path that is neither is an error naming it.
Result<std::vector<std::string>> expand_cases(const std::vector<std::string>& paths);
// Resolves a case name: an existing path, else <data_dir>/<name>, else
// <data_dir>/{node,pytorch-converted,pytorch-operator,simple}/<name>.
Result<std::string> resolve_case(const std::string& name, const std::string& data_dir);
// Reads a list file: one case name or path per line; '#' starts a comment; blank lines skipped.
Result<std::vector<std::string>> read_case_list(const std::string& path);

// Compares with ONNX's rule; the error names the first bad element, the number of bad
// elements and the largest difference.
Status compare_tensors(const Tensor& expected, const Tensor& actual, double rtol, double atol);

CaseResult run_conformance_case(const std::string& dir, const ConformanceOptions& opts = {});

}  // namespace sieve::app
