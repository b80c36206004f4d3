// sieve report (src/sieve/app/report): each input kind recognised from its JSON shape, bad
// inputs refused naming the file and the field, the SVG inlining, and the page drawn from the
// JSON that today's sieve prints (gnuplot needed for those; skipped without it).
#include "sieve/app/report/report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "cli_util.h"
#include "sieve/app/report/fields.h"
#include "sieve/app/report/gnuplot.h"

namespace sieve::app::report {
namespace {

using nlohmann::json;
using sieve_test::run_sieve;

const std::string kData = std::string(SIEVE_TEST_DATA_DIR) + "/report";

json simulate_doc() {
  return json::parse(R"({"arch": "sieve", "model": "m", "preset": "p", "mode": "sparse",
    "total": {"time_ns": 100.0, "energy_pj": {"total": 10.0, "onchip": 4.0, "offchip": 6.0,
    "by_action": {"dram": 6.0, "sb_read": 4.0}}}, "layers": []})");
}

TEST(ReportInput, KindsFromShape) {
  json compress = {{"ratio_p", 2.0}, {"ratio_q", 4.0}, {"ratio_c", 5.0}, {"layers", json::array()}};
  json compare = {{"archs", json::array({simulate_doc()})}, {"model", "m"}};
  json reproduce =
      json::array({{{"figure", "f"}, {"published", 1.0}, {"ours", 1.1}, {"kind", "simulated"}}});
  json sweep = {{"kind", "sieve-sweep"}, {"version", 1}, {"rows", json::array()}};
  const std::vector<std::pair<json, InputKind>> cases = {{compress, InputKind::kCompress},
                                                         {simulate_doc(), InputKind::kSimulate},
                                                         {compare, InputKind::kCompare},
                                                         {reproduce, InputKind::kReproduce},
                                                         {sweep, InputKind::kSweep}};
  for (const auto& [doc, kind] : cases) {
    Result<Input> in = classify_input("x.json", doc);
    ASSERT_TRUE(in.ok()) << in.status().to_string();
    EXPECT_EQ(in->kind, kind) << doc.dump();
  }
  EXPECT_STREQ(input_kind_name(InputKind::kCompare), "compare");
}

TEST(ReportInput, UnknownShapesAreRefusedNamingTheFile) {
  struct Case {
    json doc;
    std::string message;
  };
  const std::vector<Case> cases = {
      {json{{"hello", 1}}, "odd.json: not a report input: an object with keys hello matches none"},
      {json::array(), "odd.json: an empty JSON list is not a report input"},
      {json::array({1, 2}), "odd.json: [0]: a list whose items are not reproduce figures"},
      {json(3.5), "odd.json: not a report input: a JSON number matches none"},
      {json{{"kind", "sieve-sweep"}, {"version", 7}},
       "odd.json: version: sweep output version 7 is not supported (this sieve reads version 1)"},
      {json{{"kind", "sieve-sweep"}}, "odd.json: version: sweep output version (missing)"},
      {json{{"kind", "mystery"}}, "odd.json: kind: unknown report input kind \"mystery\""},
  };
  for (const Case& c : cases) {
    Result<Input> in = classify_input("odd.json", c.doc);
    ASSERT_FALSE(in.ok()) << c.doc.dump();
    EXPECT_EQ(in.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(in.status().message().find(c.message), std::string::npos) << in.status().message();
  }
}

TEST(ReportInput, LoadNamesTheFile) {
  Result<Input> missing = load_input("/nonexistent/in.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/in.json"), std::string::npos);

  const std::string bad = (std::filesystem::temp_directory_path() /
                           ("sieve_report_bad_" + std::to_string(::getpid()) + ".json"))
                              .string();
  std::ofstream(bad) << "{\"arch\": ";
  Result<Input> broken = load_input(bad);
  std::filesystem::remove(bad);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find(bad + ": cannot read as JSON"), std::string::npos)
      << broken.status().message();

  std::ofstream(bad) << "point,model,cycles,error\n0,thesis:lenet5,4618,\n";
  Result<Input> csv = load_input(bad);
  std::filesystem::remove(bad);
  ASSERT_FALSE(csv.ok());
  EXPECT_NE(
      csv.status().message().find(bad + ": a sweep's CSV output: sieve report reads its JSON"),
      std::string::npos)
      << csv.status().message();

  Result<Input> deep = parse_input("deep.json", std::string(65, '[') + std::string(65, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(),
            "deep.json: nested more than 64 levels deep: not a report input");
  // A sweep row whose point index is past int64_t's range (found by fuzzing: UBSan reported the
  // conversion): refused naming the field.
  {
    Result<Input> sweep = load_input(kData + "/sweep-small.json");
    ASSERT_TRUE(sweep.ok());
    sweep->doc["rows"][0]["point"] = 6.7e35;
    Options undrawn;
    undrawn.draw = false;
    Result<Report> r = render_report({*sweep}, undrawn);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("rows[0].point: expected a whole number from 0 to"),
              std::string::npos)
        << r.status().message();
  }
  // An axis whose values mix numbers and text (found by fuzzing: the sensitivity curve read a
  // text as a number and the process aborted): drawn without the curve.
  {
    Result<Input> dram = load_input(kData + "/sweep-dram.json");
    ASSERT_TRUE(dram.ok());
    nlohmann::json& rows = dram->doc["rows"];
    ASSERT_GE(rows.size(), 2u);
    const std::string axis = dram->doc["axes"].back().get<std::string>();
    rows[1][axis] = "text";
    Options undrawn;
    undrawn.draw = false;
    Result<Report> r = render_report({*dram}, undrawn);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->html.find("Sensitivity to"), std::string::npos);
  }
  // A number past a double's range (found by fuzzing: it aborted the process).
  Result<Input> huge = parse_input("huge.json", "[1e999999]");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("huge.json: cannot read as JSON: "), std::string::npos)
      << huge.status().message();
  EXPECT_NE(huge.status().message().find("number overflow"), std::string::npos)
      << huge.status().message();
  // 64 levels parse; that list is then refused by its shape, not by its depth.
  Result<Input> shallow = parse_input("ok.json", std::string(64, '[') + std::string(64, ']'));
  ASSERT_FALSE(shallow.ok());
  EXPECT_EQ(shallow.status().message().find("nested"), std::string::npos)
      << shallow.status().message();

  Result<Input> sweep = load_input(kData + "/sweep-small.json");
  ASSERT_TRUE(sweep.ok()) << sweep.status().to_string();
  EXPECT_EQ(sweep->kind, InputKind::kSweep);
}

// Options::draw false (the fuzz target's mode): no gnuplot is looked for, every field is still
// read, and each plot is an empty placeholder of the plot's size.
TEST(ReportInput, UndrawnPageReadsEveryFieldWithoutGnuplot) {
  Options opt;
  opt.gnuplot = "/nonexistent/gnuplot";
  opt.draw = false;
  Result<Input> sweep = load_input(kData + "/sweep-small.json");
  ASSERT_TRUE(sweep.ok()) << sweep.status().to_string();
  Result<Report> r = render_report({*sweep}, opt);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_GT(r->figures, 0);
  EXPECT_NE(r->html.find("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "),
            std::string::npos);
  EXPECT_NE(r->html.find("Plots: not drawn"), std::string::npos);

  // A compress report as sieve prints it, with its first layer replaced by a number.
  std::ifstream in(std::string(SIEVE_TEST_DATA_DIR) + "/fuzz-regressions/report/seed-compress.json");
  json c = json::parse(in);
  c["layers"][0] = 7;
  Result<Report> bad = render_report({*classify_input("c.json", c)}, opt);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("c.json"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("layers[0]"), std::string::npos)
      << bad.status().message();
}

TEST(ReportFields, ErrorsNameFileAndPath) {
  const std::string file = "c.json";
  const json doc = {{"archs", json::array({{{"total", {{"time_ns", "slow"}}}}})}};
  const Field root(file, doc);
  Result<std::vector<Field>> archs = root.list("archs");
  ASSERT_TRUE(archs.ok());
  Result<Field> total = (*archs)[0].at("total");
  ASSERT_TRUE(total.ok());
  Result<double> t = total->number("time_ns");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "c.json: archs[0].total.time_ns: expected a number, got \"slow\"");
  Result<double> e = total->number("energy_pj");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "c.json: archs[0].total.energy_pj: missing");
  Result<std::vector<Field>> notalist = root.list("nothing");
  EXPECT_FALSE(notalist.ok());
}

TEST(ReportSvg, IdsArePrefixedSoPlotsCanShareAPage) {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<svg viewBox=\"0 0 10 10\">\n<title>Gnuplot</title>\n"
      "<defs><path id='gpPt0' d='M0,0'/><clipPath id=\"c1\"></clipPath></defs>\n"
      "<use xlink:href='#gpPt0'/><g clip-path=\"url(#c1)\"></g></svg>\n";
  const std::string out = inline_svg(svg, "fig2", "A <b> title");
  EXPECT_EQ(out.find("<?xml"), std::string::npos);
  EXPECT_EQ(out.rfind("<svg class=\"plot\" role=\"img\"", 0), 0u) << out;
  EXPECT_NE(out.find("<title>A &lt;b&gt; title</title>"), std::string::npos);
  EXPECT_NE(out.find("id='fig2-gpPt0'"), std::string::npos);
  EXPECT_NE(out.find("href='#fig2-gpPt0'"), std::string::npos);
  EXPECT_NE(out.find("id=\"fig2-c1\""), std::string::npos);
  EXPECT_NE(out.find("url(#fig2-c1)"), std::string::npos);
}

TEST(ReportSvg, GnuplotMissingIsAClearError) {
  Result<Gnuplot> g = Gnuplot::find("/nonexistent/gnuplot");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(g.status().message().find("gnuplot-nox"), std::string::npos);
  Result<Gnuplot> h = Gnuplot::find("sieve-no-such-gnuplot");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("sieve-no-such-gnuplot is not on PATH"), std::string::npos);
}

class ReportPage : public sieve_test::ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    if (find_program("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed (gnuplot-nox)";
  }
  // Runs sieve with `args` and saves its stdout as `name` in the scratch folder.
  std::string save(const std::string& name, const std::string& args,
                   const std::string& env = "") {
    sieve_test::CliRun r = run_sieve(args, env);
    EXPECT_EQ(r.rc, 0) << args << "\n" << r.out;
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << r.stdout_only;
    return path;
  }
};

TEST_F(ReportPage, EveryKindDrawnFromTodaysJson) {
  const std::vector<std::string> paths = {
      // Trained on the 64-image fixture: a pruning schedule with accuracies, and four masks.
      save("compress.json", "compress --model lenet5 --data-dir " +
                                sieve_test::kTinyFashionMnistDir + " --validation 16 --recipe " +
                                std::string(SIEVE_SOURCE_DIR) +
                                "/recipes/cambricon-s/lenet5.yaml --json",
           "SIEVE_CACHE_DIR=" + (dir_ / "cache").string()),
      save("simulate.json", "simulate --model thesis:lenet5 --json"),
      save("compare.json", "compare --archs sieve,diannao,eie --model thesis:lenet-300-100 --json"),
      save("reproduce.json", "reproduce ese- --json"),
      kData + "/sweep-small.json",
      kData + "/sweep-dram.json"};
  std::vector<Input> inputs;
  for (const std::string& p : paths) {
    Result<Input> in = load_input(p);
    ASSERT_TRUE(in.ok()) << in.status().to_string();
    inputs.push_back(std::move(in).value());
  }
  EXPECT_EQ(inputs[0].kind, InputKind::kCompress);
  EXPECT_EQ(inputs[1].kind, InputKind::kSimulate);
  EXPECT_EQ(inputs[2].kind, InputKind::kCompare);
  EXPECT_EQ(inputs[3].kind, InputKind::kReproduce);
  EXPECT_EQ(inputs[4].kind, InputKind::kSweep);

  Result<Report> r = render_report(inputs);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const std::string& html = r->html;
  // compress 8 (sparsity and bits, bytes, the schedule, 4 masks, ratios); accelerators:
  // LeNet-5 on one design 2 (the breakdowns), LeNet-300-100 on three 4 (speed-up, energy
  // saving, the breakdowns); reproduce 1; sweep-small 2 (scatter, heat map); sweep-dram 2
  // (scatter, sensitivity curve).
  EXPECT_EQ(r->figures, 19);
  for (const char* title : {"Accuracy along the pruning schedule", "Mask of conv1", "Mask of ip2"})
    EXPECT_NE(html.find(title), std::string::npos) << title;
  std::regex figure_re("<figure class=\"chart\" id=\"(fig[0-9]+)\"[^>]*>\n<svg class=\"plot\"");
  std::set<std::string> ids;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), figure_re);
       it != std::sregex_iterator(); ++it)
    ids.insert((*it)[1]);
  EXPECT_EQ(ids.size(), 19u);
  for (const char* section : {"Compression: lenet5", "Accelerators: time and energy",
                              "Published figures beside ours", "Sweep: "})
    EXPECT_NE(html.find(section), std::string::npos) << section;
  // Self-contained: no src/href/url() outside the page, no <link>.
  EXPECT_FALSE(std::regex_search(html, std::regex("(src|href)=[\"']?(https?:|//)")));
  EXPECT_FALSE(std::regex_search(html, std::regex("url\\((https?:|//)")));
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // Each id appears once in the page (gnuplot's ids are prefixed per figure).
  std::regex id_re("id=['\"]([^'\"]+)['\"]");
  std::set<std::string> all;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), id_re);
       it != std::sregex_iterator(); ++it)
    EXPECT_TRUE(all.insert((*it)[1]).second) << "duplicate id " << (*it)[1];
  // The reproduce rows carry their kind's class.
  EXPECT_NE(html.find("<tr class=\"kind-simulated"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"kind-formula-check"), std::string::npos);

  // The same inputs draw the same page.
  Result<Report> again = render_report(inputs);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->html, html);
}

TEST_F(ReportPage, CliWritesThePageAndRefusesBadInput) {
  const std::string sim = save("simulate.json", "simulate --model thesis:lenet5 --json");
  const std::string out = (dir_ / "r.html").string();
  sieve_test::CliRun ok = run_sieve("report " + sim + " -o " + out);
  EXPECT_EQ(ok.rc, 0) << ok.out;
  EXPECT_NE(ok.stdout_only.find(out + ": 1 input, 2 figures"), std::string::npos) << ok.stdout_only;
  EXPECT_NE(sieve_test::slurp_file(out).find("</html>"), std::string::npos);

  // A bad input among good ones: exit 1, the file named, the old page left as it was.
  const std::string bad = (dir_ / "bad.json").string();
  std::ofstream(bad) << R"({"figure": "x"})";
  const std::string before = sieve_test::slurp_file(out);
  sieve_test::CliRun refused = run_sieve("report " + sim + " " + bad + " -o " + out);
  EXPECT_EQ(refused.rc, 1);
  EXPECT_EQ(refused.stdout_only, "");
  EXPECT_NE(
      refused.stderr_only.find("sieve: error: invalid argument: " + bad + ": not a report input"),
      std::string::npos)
      << refused.stderr_only;
  EXPECT_EQ(sieve_test::slurp_file(out), before);

  // A mistyped field: the file and the field's path.
  const std::string field = (dir_ / "field.json").string();
  std::ofstream(field) << R"([{"figure": "f", "published": 1, "ours": 2, "kind": "guessed"}])";
  sieve_test::CliRun kind = run_sieve("report " + field + " -o " + out);
  EXPECT_EQ(kind.rc, 1);
  EXPECT_NE(kind.stderr_only.find(field + ": [0].kind: unknown kind \"guessed\""),
            std::string::npos)
      << kind.stderr_only;

  // No input is a usage error.
  EXPECT_EQ(run_sieve("report -o " + out).rc, 2);

  // A gnuplot that answers --version but fails to draw: an internal error, exit 3 (sieve
  // --help's exit codes), the old page left as it was.
  const std::string fake = (dir_ / "gnuplot-broken").string();
  std::ofstream(fake) << "#!/bin/sh\n[ \"$1\" = --version ] && { echo gnuplot 0.0; exit 0; }\n"
                         "echo cannot draw >&2\nexit 1\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  sieve_test::CliRun broken = run_sieve("report " + sim + " --gnuplot " + fake + " -o " + out);
  EXPECT_EQ(broken.rc, 3) << broken.out;
  EXPECT_NE(broken.stderr_only.find("sieve: error: internal error: "), std::string::npos)
      << broken.stderr_only;
  EXPECT_NE(broken.stderr_only.find("cannot draw"), std::string::npos) << broken.stderr_only;
  EXPECT_EQ(sieve_test::slurp_file(out), before);
}

}  // namespace
}  // namespace sieve::app::report
