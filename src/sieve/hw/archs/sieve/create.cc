// The Sieve accelerator as an hw::Accelerator: a validated Spec plus the performance model of
// perf.h. Immutable after creation; simulate() is const and thread-safe.
#include <filesystem>

#include "sieve/hw/archs/archs.h"
#include "sieve/hw/archs/sieve/perf.h"
#include "sieve/hw/archs/sieve/spec.h"

namespace sieve::hw::sieve_arch {
namespace {

class SieveAccelerator final : public Accelerator {
 public:
  SieveAccelerator(Spec spec, std::string preset) : spec_(spec), preset_(std::move(preset)) {}
  std::string arch() const override { return "sieve"; }
  std::vector<std::string> modes() const override { return mode_names(); }
  int64_t multipliers() const override { return spec_.tn * spec_.tm; }
  double freq_ghz() const override { return spec_.freq_ghz; }
  Result<SimResult> simulate(const Workload& w, const SimOptions& o) const override {
    SIEVE_ASSIGN_OR_RETURN(SimResult r, sieve_arch::simulate(spec_, o, w));
    r.preset = preset_;
    return r;
  }

 private:
  Spec spec_;
  std::string preset_;
};

}  // namespace

Result<std::unique_ptr<Accelerator>> create(const ParamSet& params) {
  SIEVE_ASSIGN_OR_RETURN(Spec spec, parse_spec(params));
  std::unique_ptr<Accelerator> acc = std::make_unique<SieveAccelerator>(
      spec, std::filesystem::path(params.file).stem().string());
  acc->set_params(params);
  return acc;
}

}  // namespace sieve::hw::sieve_arch
