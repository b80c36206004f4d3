// The CLI's output conventions (issue 15): every command has --json, and the new JSON forms of
// the commands that had only text parse and carry what the text said.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "cli_util.h"

namespace {

using sieve_test::CliRun;
using sieve_test::run_sieve;

// Every line of tools/sieve/commands.def, as the command name users type.
std::vector<std::string> commands() {
  std::ifstream in(std::string(SIEVE_SOURCE_DIR) + "/tools/sieve/commands.def");
  std::vector<std::string> out;
  std::regex re(R"(^SIEVE_COMMAND\(([a-z0-9_]+),)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    std::string name = m[1];
    for (char& c : name)
      if (c == '_') c = '-';
    out.push_back(name == "zoo" ? "zoo list" : name);
  }
  return out;
}

TEST(CliConventions, EveryCommandHasJson) {
  const std::vector<std::string> cmds = commands();
  ASSERT_GE(cmds.size(), 20u);
  for (const std::string& c : cmds) {
    CliRun r = run_sieve(c + " --help");
    EXPECT_EQ(r.rc, 0) << c << ": " << r.out;
    EXPECT_TRUE(std::regex_search(r.stdout_only, std::regex(R"(\n\s+--json\b)")))
        << c << " has no --json:\n"
        << r.stdout_only;
  }
}

class CliJson : public sieve_test::ScratchDirTest {};

TEST_F(CliJson, AsmDisasmReportAndSweepPrintJson) {
  const std::string src = std::string(SIEVE_TEST_DATA_DIR) + "/isa/example.s";
  const std::string bin = (dir_ / "p.bin").string();
  CliRun a = run_sieve("asm " + src + " -o " + bin + " --json");
  ASSERT_EQ(a.rc, 0) << a.out;
  const nlohmann::json aj = nlohmann::json::parse(a.stdout_only);
  EXPECT_EQ(aj["out"], bin);
  EXPECT_EQ(aj["bytes"].get<uint64_t>(), std::filesystem::file_size(bin));

  CliRun d = run_sieve("disasm " + bin + " --json");
  ASSERT_EQ(d.rc, 0) << d.out;
  const nlohmann::json dj = nlohmann::json::parse(d.stdout_only);
  EXPECT_EQ(dj["words"], aj["words"]);
  CliRun text = run_sieve("disasm " + bin);
  std::string joined;
  for (const nlohmann::json& l : dj["lines"]) joined += l.get<std::string>() + "\n";
  EXPECT_EQ(joined, text.stdout_only);

  const std::string spec = std::string(SIEVE_TEST_DATA_DIR) + "/report/sweep-dram.yaml";
  CliRun s = run_sieve("sweep " + spec + " --json --jobs 1", "SIEVE_PROGRESS=0");
  ASSERT_EQ(s.rc, 0) << s.out;
  const nlohmann::json sj = nlohmann::json::parse(s.stdout_only);
  EXPECT_EQ(sj["kind"], "sieve-sweep");
  EXPECT_FALSE(sj["rows"].empty());
  EXPECT_EQ(run_sieve("sweep " + spec + " --json --out x.csv").rc, 2);

  const std::string sweep_json = (dir_ / "s.json").string();
  std::ofstream(sweep_json) << s.stdout_only;
  const std::string html = (dir_ / "r.html").string();
  CliRun r = run_sieve("report " + sweep_json + " -o " + html + " --json");
  if (r.rc != 0 && r.out.find("gnuplot") != std::string::npos)
    GTEST_SKIP() << "gnuplot is not installed: " << r.out;
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json rj = nlohmann::json::parse(r.stdout_only);
  EXPECT_EQ(rj["out"], html);
  EXPECT_EQ(rj["inputs"][0]["kind"], "sweep");
  EXPECT_GT(rj["figures"].get<int>(), 0);
}

}  // namespace
