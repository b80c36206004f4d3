// Area and power figures (thesis §5.3.1 and Table 5.1; DianNao ASPLOS 2014; Cambricon-X MICRO
// 2016) from the area model (hw/area/area.h, `sieve area`).
//
// Kinds: the Sieve accelerator's own totals and the sparse modules' sums are Table 5.1 by
// construction at the default preset (every module is anchored there): formula checks. The
// rivals are composed from the same 65 nm modules (Sieve's PEFU for their multipliers, Sieve's
// SSM for Cambricon-X's per-PE indexing, the SRAM model for their own buffers), never from a
// per-module figure of theirs, so their totals and the comparisons that use them are
// simulated. The WDM's alignment saving runs the model with a bit-granular WDM.
#include <fmt/format.h>

#include "sieve/hw/area/area.h"
#include "sieve/hw/core/arch.h"
#include "sieve/hw/sim/reproduce.h"

namespace sieve::hw {
namespace {

std::vector<FigureDef> defs() {
  return {
      {"area-sieve", "the accelerator's area, mm² (§5.3.1, Table 5.1: 6.82)", 6.82, kFormulaCheck},
      {"power-sieve", "the accelerator's power, mW (§5.3.1, Table 5.1: 821.19)", 821.19,
       kFormulaCheck},
      {"area-sparse-modules", "area of the sparse modules (NSM, SSM, WDM, Encoder), mm² (Table 5.1)",
       2.52, kFormulaCheck},
      {"power-sparse-modules", "power of the sparse modules, mW (Table 5.1)", 210.26, kFormulaCheck},
      {"area-index-vs-cambricon-x",
       "Cambricon-X's indexing module over Sieve's NSM + SSM, area (§5.3.1: 1.98 / 0.94 mm²)",
       1.98 / 0.94},
      {"power-index-vs-cambricon-x",
       "Cambricon-X's indexing module over Sieve's NSM + SSM, power (§5.3.1: 332.62 / 178.26 mW)",
       332.62 / 178.26},
      {"area-wdm-alignment-saving",
       "WDM's 4-bit alignment: area of a bit-granular WDM over the 4-bit one, × (§5.3.1: 5.14)",
       5.14},
      {"power-wdm-alignment-saving", "the same, power, × (§5.3.1: 4.27)", 4.27},
      {"area-diannao", "DianNao's area, mm² (ASPLOS 2014: 3.02)", 3.02},
      {"power-diannao", "DianNao's power, mW (ASPLOS 2014: 485)", 485.0},
      {"area-cambricon-x", "Cambricon-X's area, mm² (MICRO 2016: 6.38)", 6.38},
      {"power-cambricon-x", "Cambricon-X's power, mW (MICRO 2016: 954)", 954.0},
      {"area-cambricon-x-index-share",
       "Cambricon-X's indexing module's share of its area (MICRO 2016: 31.07 %)", 0.3107},
      {"power-cambricon-x-index-share",
       "Cambricon-X's indexing module's share of its power (MICRO 2016: 34.83 %)", 0.3483},
  };
}

Result<area::AreaReport> report_for(const std::string& arch, std::vector<std::string> ov) {
  SIEVE_ASSIGN_OR_RETURN(std::unique_ptr<Accelerator> acc, make_accelerator(arch, ov));
  return area::area_report(acc->params());
}

Status compute(const FigureWanted& want, const ReproduceOptions& opt, const FigureSetter& set) {
  if (!want("area-") && !want("power-")) return ok_status();
  SIEVE_ASSIGN_OR_RETURN(const area::AreaReport s, report_for("sieve", opt.overrides));
  set("area-sieve", s.area_mm2, "Σ modules of configs/area/sieve-65nm.yaml at the preset");
  set("power-sieve", s.power_mw, "Σ modules of configs/area/sieve-65nm.yaml at the preset");
  set("area-sparse-modules", s.area_of("sparse"), "NSM + SSM + WDM + Encoder (tag sparse)");
  set("power-sparse-modules", s.power_of("sparse"), "NSM + SSM + WDM + Encoder (tag sparse)");

  // Cambricon-X from the same modules; its preset has no overrides of Sieve's keys.
  SIEVE_ASSIGN_OR_RETURN(const area::AreaReport cx, report_for("cambricon-x", {}));
  const area::ModuleArea* im = cx.module("IM");
  const area::ModuleArea* nsm = s.module("NSM");
  const area::ModuleArea* ssm = s.module("SSM");
  if (im == nullptr || nsm == nullptr || ssm == nullptr)
    return internal_error("the area configs lack IM, NSM or SSM");
  const double ours_a = nsm->area_mm2 + ssm->area_mm2, ours_p = nsm->power_mw + ssm->power_mw;
  set("area-index-vs-cambricon-x", im->area_mm2 / ours_a,
      fmt::format("our IM {:.3f} mm² (Sieve's SSM scaled by n_pe · im_window · multipliers) / "
                  "NSM + SSM {:.3f} mm²",
                  im->area_mm2, ours_a));
  set("power-index-vs-cambricon-x", im->power_mw / ours_p,
      fmt::format("our IM {:.2f} mW / NSM + SSM {:.2f} mW", im->power_mw, ours_p));
  set("area-cambricon-x", cx.area_mm2, "Σ modules of configs/area/cambricon-x-65nm.yaml");
  set("power-cambricon-x", cx.power_mw, "Σ modules of configs/area/cambricon-x-65nm.yaml");
  set("area-cambricon-x-index-share", im->area_mm2 / cx.area_mm2, "our IM / our total");
  set("power-cambricon-x-index-share", im->power_mw / cx.power_mw, "our IM / our total");

  SIEVE_ASSIGN_OR_RETURN(const area::AreaReport dn, report_for("diannao", {}));
  set("area-diannao", dn.area_mm2, "Σ modules of configs/area/diannao-65nm.yaml");
  set("power-diannao", dn.power_mw, "Σ modules of configs/area/diannao-65nm.yaml");

  // A bit-granular WDM: each weight's multiplexer chooses among 16 positions instead of 4.
  std::vector<std::string> bit = opt.overrides;
  bit.push_back("weight_align_bits=1");
  SIEVE_ASSIGN_OR_RETURN(const area::AreaReport b, report_for("sieve", bit));
  const area::ModuleArea* w4 = s.module("WDM");
  const area::ModuleArea* w1 = b.module("WDM");
  set("area-wdm-alignment-saving", w1->area_mm2 / w4->area_mm2,
      "WDM at weight_align_bits = 1 over 4 (logic ∝ T_n · T_m · positions)");
  set("power-wdm-alignment-saving", w1->power_mw / w4->power_mw,
      "the same for power (the same scaling law)");
  return ok_status();
}

}  // namespace

namespace figures {

FigureGroup area() {
  return {"Area and power (thesis §5.3.1, Table 5.1; DianNao; Cambricon-X)", defs(), compute,
          {"archs/sieve-65nm", "archs/diannao-65nm", "archs/cambricon-x-65nm", "area/tech-65nm"}};
}

}  // namespace figures
}  // namespace sieve::hw
