// Running build/sieve from a test: the exit code (or the signal that ended it), stdout, stderr,
// and both together. One helper for every CLI test, so that every test can check the exit
// code as well as the message.
//
// Contract: `args` is a shell word list (quote paths with spaces yourself); `env` is prepended
// as "env ..." arguments, e.g. "-u OPENBLAS_CORETYPE SIEVE_X=1". The child's stdin is
// /dev/null. The command runs as `sh -c 'exec env ... sieve args'`, so a signal that kills
// sieve is seen here (rc = 128 + signal, signaled = true), not hidden behind a shell.
// Thread-safety: scratch files carry the pid and a counter; one test process at a time each.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sieve_test {

struct CliRun {
  int rc = -1;            // exit status, or 128 + signal number
  bool signaled = false;  // killed by a signal (a crash: SIGSEGV, SIGABRT, ...)
  std::string stdout_only;
  std::string stderr_only;
  std::string out;  // stdout then stderr
};

// The 64-image Fashion-MNIST fixture, for CLI runs that need real data quickly.
inline const std::string kTinyFashionMnistDir =
    std::string(SIEVE_TEST_DATA_DIR) + "/fashion-mnist-tiny";

inline std::string slurp_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Runs any command line under sh (with the same capture as run_sieve).
inline CliRun run_command(const std::string& command) {
  static std::atomic<int> counter{0};
  const std::string base =
      (std::filesystem::temp_directory_path() /
       ("sieve_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1))))
          .string();
  const std::string out_path = base + ".out", err_path = base + ".err";
  const std::string cmd = command + " </dev/null >" + out_path + " 2>" + err_path;
  CliRun r;
  const int status = std::system(cmd.c_str());
  if (status == -1) return r;
  if (WIFEXITED(status)) {
    r.rc = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.rc = 128 + WTERMSIG(status);
    r.signaled = true;
  }
  // sh reports a child killed by a signal as 128 + n.
  if (r.rc > 128 && r.rc < 128 + 65) r.signaled = true;
  r.stdout_only = slurp_file(out_path);
  r.stderr_only = slurp_file(err_path);
  r.out = r.stdout_only + r.stderr_only;
  std::error_code ec;
  std::filesystem::remove(out_path, ec);
  std::filesystem::remove(err_path, ec);
  return r;
}

inline CliRun run_sieve(const std::string& args, const std::string& env = "") {
  return run_command("exec env " + env + " " + std::string(SIEVE_BINARY) + " " + args);
}

// A test fixture with a fresh scratch folder per test, "<tmp>/sieve_<test name>_<pid>", removed
// afterwards (ctest runs tests in parallel processes: the pid keeps them apart).
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("sieve_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

}  // namespace sieve_test
