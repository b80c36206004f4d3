// sieve area --arch A [-p key=value ...] [--json]: the area and power of an accelerator's
// modules for a configuration (src/sieve/hw/area/area.h): each module anchored to its published
// reference and scaled by what sizes it, the SRAMs' own analytical estimate beside it, the total
// against the design's published figures, and any extrapolation as a warning.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "sieve/hw/area/area.h"
#include "sieve/hw/core/arch.h"

namespace sieve::cli {
namespace {

struct AreaArgs {
  std::string arch = "sieve";
  std::vector<std::string> params;
  bool json = false;
  bool csv = false;
};

nlohmann::json to_json(const hw::area::AreaReport& r) {
  nlohmann::json j;
  j["arch"] = r.arch;
  j["preset"] = r.preset;
  j["config"] = r.file;
  j["area_mm2"] = r.area_mm2;
  j["power_mw"] = r.power_mw;
  if (r.published_area_mm2 > 0 || r.published_power_mw > 0)
    j["published"] = {{"area_mm2", r.published_area_mm2},
                      {"power_mw", r.published_power_mw},
                      {"source", r.published_source}};
  j["warnings"] = r.warnings;
  for (const hw::area::ModuleArea& m : r.modules) {
    nlohmann::json mj = {{"name", m.name},
                         {"kind", m.kind},
                         {"tags", m.tags},
                         {"area_mm2", m.area_mm2},
                         {"power_mw", m.power_mw},
                         {"reference_area_mm2", m.ref_area_mm2},
                         {"reference_power_mw", m.ref_power_mw},
                         {"scale", m.scale},
                         {"energy_keys", m.energy},
                         {"source", m.source}};
    if (m.kind == "sram") {
      mj["estimate_area_mm2"] = m.estimate_area_mm2;
      mj["estimate_access_pj"] = m.estimate_access_pj;
    }
    j["modules"].push_back(std::move(mj));
  }
  return j;
}

int run(const AreaArgs& a) {
  Result<std::unique_ptr<hw::Accelerator>> acc = hw::make_accelerator(a.arch, a.params);
  if (!acc.ok()) return fail(acc.status().with_context("--arch " + a.arch));
  Result<hw::area::AreaReport> r = hw::area::area_report((*acc)->params());
  if (!r.ok()) return fail(r.status());
  for (const std::string& w : r->warnings) std::fprintf(stderr, "sieve: warning: %s\n", w.c_str());
  if (a.json) {
    std::printf("%s\n", to_json(*r).dump(2).c_str());
    return 0;
  }
  if (a.csv) {  // the modules, then the total
    nlohmann::json j = to_json(*r);
    nlohmann::json rows = j["modules"];
    rows.push_back({{"name", "total"}, {"area_mm2", r->area_mm2}, {"power_mw", r->power_mw}});
    print_csv(rows);
    return 0;
  }
  std::printf("%s (%s): area and power by module (%s)\n", r->arch.c_str(), r->preset.c_str(),
              r->file.c_str());
  std::printf("%-10s %-6s %10s %10s %8s %14s %16s\n", "module", "kind", "area mm²", "power mW",
              "scale", "SRAM est. mm²", "SRAM est. pJ/acc");
  for (const hw::area::ModuleArea& m : r->modules) {
    const std::string est_a = m.kind == "sram" ? fmt::format("{:.3f}", m.estimate_area_mm2) : "-";
    const std::string est_e = m.kind == "sram" ? fmt::format("{:.2f}", m.estimate_access_pj) : "-";
    std::printf("%-10s %-6s %10.3f %10.2f %8.3f %14s %16s\n", m.name.c_str(), m.kind.c_str(),
                m.area_mm2, m.power_mw, m.scale, est_a.c_str(), est_e.c_str());
  }
  std::printf("%-10s %-6s %10.3f %10.2f\n", "total", "", r->area_mm2, r->power_mw);
  if (r->published_area_mm2 > 0)
    std::printf("published: %.2f mm², %.2f mW (%s)\n", r->published_area_mm2,
                r->published_power_mw, r->published_source.c_str());
  std::printf("(scale: area over the module's reference; the SRAM estimate is the analytical "
              "model's own absolute figure, not anchored)\n");
  return 0;
}

}  // namespace

void add_area_command(CLI::App& app) {
  auto a = std::make_shared<AreaArgs>();
  CLI::App* sub = app.add_subcommand(
      "area",
      "Area and power of an accelerator's modules for a configuration (SRAMs by an analytical "
      "model, logic scaled by what sizes it, each anchored to its published figure)");
  sub->add_option("--arch", a->arch, "arch name, preset (configs/archs) or .yaml file")
      ->capture_default_str();
  sub->add_option("-p,--param", a->params, "override a preset parameter: key=value (repeatable)");
  sub->add_flag("--json", a->json, "print JSON");
  add_csv_flag(sub, a->csv, "one row per module and a last row \"total\"");
  on_run(sub, [a] { return run(*a); });
}

}  // namespace sieve::cli
