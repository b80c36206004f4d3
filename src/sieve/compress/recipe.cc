#include "sieve/compress/recipe.h"

namespace sieve::compress {

PruneSettings Recipe::prune_for(const std::string&, ir::OpKind) const { return {}; }
QuantSettings Recipe::quant_for(const std::string&, ir::OpKind) const { return {}; }
std::vector<std::string> Recipe::named_layers() const { return {}; }

const std::vector<std::string>& prune_methods() {
  static const std::vector<std::string> kMethods = {"none",   "magnitude", "block",
                                                    "nm",     "filter",    "balanced"};
  return kMethods;
}

Result<Recipe> parse_recipe(const std::string&, const std::string& origin) {
  return unimplemented("{}: recipe parsing is not implemented yet", origin);
}

Result<Recipe> load_recipe(const std::string& path) { return parse_recipe("", path); }

std::vector<double> agp_targets(double, double final_sparsity, int) { return {final_sparsity}; }

}  // namespace sieve::compress
