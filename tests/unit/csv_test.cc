// io/csv/csv.h and the --csv flag of the tabular commands: quoting, flattening, and each
// command's rows checked against its own --json.
#include "sieve/io/csv/csv.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.h"

namespace sieve::io {
namespace {

using nlohmann::json;

TEST(Csv, CellsAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(csv_cell(json()), "");
  EXPECT_EQ(csv_cell(true), "1");
  EXPECT_EQ(csv_cell(false), "0");
  EXPECT_EQ(csv_cell(42), "42");
  EXPECT_EQ(csv_cell(0.1), "0.1");
  EXPECT_EQ(csv_cell("plain"), "plain");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_cell(json::array({1, 2})), "\"[1,2]\"");
  EXPECT_EQ(csv_row({"a", 1, json()}), "a,1,\n");
}

TEST(Csv, TableFlattensObjectsAndUnitesColumns) {
  const json rows = json::parse(R"([
    {"name": "conv1", "energy": {"total": 3.5, "dram": 1}, "tags": ["x"]},
    {"name": "total", "energy": {"total": 9}, "extra": "e,f"}
  ])");
  EXPECT_EQ(csv_table(rows),
            "energy.dram,energy.total,name,tags,extra\n"
            "1,3.5,conv1,\"[\"\"x\"\"]\",\n"
            ",9,total,,\"e,f\"\n");
  EXPECT_EQ(csv_table(json::array({1, "a"})), "value\n1\na\n");
  EXPECT_EQ(csv_table(rows, {"name", "absent", "extra"}),
            "name,extra,energy.dram,energy.total,tags\n"
            "conv1,,1,3.5,\"[\"\"x\"\"]\"\n"
            "total,\"e,f\",,9,\n");
  EXPECT_EQ(csv_table(json::array()), "\n");
}

// The header's columns, and the column index of `name`.
std::vector<std::string> header(const std::string& csv) {
  std::vector<std::string> cols;
  std::stringstream ss(csv.substr(0, csv.find('\n')));
  std::string c;
  while (std::getline(ss, c, ',')) cols.push_back(c);
  return cols;
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// Each tabular command: --csv prints one row per item of its --json, and refuses --json beside.
TEST(CsvCli, TabularCommandsPrintTheirJsonRows) {
  struct Case {
    std::string args;
    std::string json_rows;  // where the rows are in the --json output ("" = the list itself)
    size_t extra_rows;      // the "total" row, where there is one
    std::string column;     // a column the header must have
  };
  const std::vector<Case> cases = {
      {"simulate --model thesis:lenet-300-100", "layers", 1, "energy_pj.total"},
      {"compare --model thesis:lenet-300-100 --archs sieve,diannao", "archs", 0, "total.cycles"},
      {"area --arch sieve", "modules", 1, "area_mm2"},
      {"reproduce area", "", 0, "published"},
      {"zoo list", "", 0, "macs"},
      {"inspect lenet5", "nodes", 0, "op"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    sieve_test::CliRun csv = sieve_test::run_sieve(c.args + " --csv", "SIEVE_PROGRESS=0");
    ASSERT_EQ(csv.rc, 0) << csv.out;
    sieve_test::CliRun js = sieve_test::run_sieve(c.args + " --json", "SIEVE_PROGRESS=0");
    ASSERT_EQ(js.rc, 0) << js.out;
    const json j = json::parse(js.stdout_only);
    const json& rows = c.json_rows.empty() ? j : j[c.json_rows];
    ASSERT_TRUE(rows.is_array());
    EXPECT_EQ(lines(csv.stdout_only), 1 + rows.size() + c.extra_rows) << csv.stdout_only;
    const std::vector<std::string> cols = header(csv.stdout_only);
    EXPECT_NE(std::find(cols.begin(), cols.end(), c.column), cols.end()) << csv.stdout_only;

    sieve_test::CliRun both = sieve_test::run_sieve(c.args + " --csv --json");
    EXPECT_EQ(both.rc, 2) << both.out;
    EXPECT_NE(both.stderr_only.find("--json excludes --csv"), std::string::npos) << both.out;
  }
}

}  // namespace
}  // namespace sieve::io
