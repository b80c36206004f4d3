// The machine around the tests: $HOME unset or unusable, the working directory, the locale.
// A CLI run must not write to the real home or to the working directory, and must work (and
// print the same numbers) wherever and however it is started.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "cli_util.h"

namespace {

namespace fs = std::filesystem;
using sieve_test::CliRun;
using sieve_test::run_command;
using sieve_test::run_sieve;

const std::string& kTiny = sieve_test::kTinyFashionMnistDir;

class Environment : public sieve_test::ScratchDirTest {
 protected:
  std::string compress_args(const std::string& out) const {
    return "compress --model lenet-300-100 --recipe " + std::string(SIEVE_SOURCE_DIR) +
           "/recipes/cambricon-s/lenet-300-100.yaml --data-dir " + kTiny +
           " --set retrain.steps=1 --set retrain.final_epochs=0 --validation 16 --out " + out;
  }
};

// No $HOME (and no cache variables): the dense-model cache goes under the temp folder.
TEST_F(Environment, CompressWithoutHomeCachesUnderTheTempFolder) {
  const fs::path tmp = dir_ / "tmp";
  fs::create_directories(tmp);
  CliRun r = run_sieve(compress_args((dir_ / "m.sieve").string()),
                       "-u HOME -u SIEVE_CACHE_DIR -u XDG_CACHE_HOME TMPDIR=" + tmp.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "m.sieve"));
  EXPECT_TRUE(fs::exists(tmp / "sieve-cache")) << r.out;
  EXPECT_NE(r.out.find("dense model cached in " + (tmp / "sieve-cache").string()),
            std::string::npos)
      << r.out;
}

// A $HOME where no cache can be made (a file, not a folder): the run still succeeds, says the
// model was not cached, and leaves no temporary file.
TEST_F(Environment, CompressWithAnUnusableHomeStillSucceeds) {
  const fs::path home = dir_ / "home-is-a-file";
  { std::ofstream(home) << "x"; }
  CliRun r = run_sieve(compress_args((dir_ / "m.sieve").string()),
                       "-u SIEVE_CACHE_DIR -u XDG_CACHE_HOME HOME=" + home.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "m.sieve"));
  EXPECT_NE(r.out.find("dense model not cached"), std::string::npos) << r.out;
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

// Started from another working directory (here an empty one, and `/`): the same results, and
// nothing written to the working directory.
TEST_F(Environment, CliDoesNotDependOnTheWorkingDirectory) {
  const fs::path cwd = dir_ / "cwd";
  fs::create_directories(cwd);
  const std::string args = "simulate --arch sieve --model lenet5 --data fashion-mnist --data-dir " +
                           kTiny + " --limit 2 --json";
  CliRun here = run_sieve(args);
  CliRun there =
      run_command("cd " + cwd.string() + " && exec " + std::string(SIEVE_BINARY) + " " + args);
  CliRun root = run_command("cd / && exec " + std::string(SIEVE_BINARY) + " " + args);
  ASSERT_EQ(here.rc, 0) << here.out;
  ASSERT_EQ(there.rc, 0) << there.out;
  ASSERT_EQ(root.rc, 0) << root.out;
  auto strip = [](const std::string& s) {
    nlohmann::json j = nlohmann::json::parse(s);
    j.erase("simulation_seconds");
    return j;
  };
  EXPECT_EQ(strip(here.stdout_only), strip(there.stdout_only));
  EXPECT_EQ(strip(here.stdout_only), strip(root.stdout_only));
  EXPECT_TRUE(fs::is_empty(cwd));
}

// A locale with a decimal comma changes nothing: sieve never calls setlocale, and numbers are
// formatted by fmt, printf in the "C" locale and nlohmann::json. The locale need not exist
// (then the C library ignores LC_ALL); if it does, this is the real check.
TEST_F(Environment, DecimalCommaLocaleChangesNoOutput) {
  const std::string args = "simulate --arch sieve --model thesis:lenet5 --input-density 0.5";
  CliRun c = run_sieve(args, "LC_ALL=C");
  CliRun de = run_sieve(args, "LC_ALL=de_DE.UTF-8 LANG=de_DE.UTF-8");
  ASSERT_EQ(c.rc, 0) << c.out;
  ASSERT_EQ(de.rc, 0) << de.out;
  // The text report, without its one timing line ("(performance simulation 0.01 s)").
  auto strip = [](const std::string& s) {
    std::string r;
    size_t at = 0;
    while (at < s.size()) {
      size_t nl = s.find('\n', at);
      if (nl == std::string::npos) nl = s.size();
      const std::string line = s.substr(at, nl - at);
      if (line.find("simulation") == std::string::npos) r += line + "\n";
      at = nl + 1;
    }
    return r;
  };
  EXPECT_TRUE(std::regex_search(c.stdout_only, std::regex("[0-9]\\.[0-9]"))) << c.stdout_only;
  EXPECT_EQ(strip(c.stdout_only), strip(de.stdout_only));
}

}  // namespace
