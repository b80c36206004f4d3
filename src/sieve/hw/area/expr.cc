#include "sieve/hw/area/expr.h"

#include <cctype>
#include <cstdlib>

namespace sieve::hw::area {
namespace {

class Parser {
 public:
  Parser(const std::string& s, const ParamSet& ps, const std::string& where)
      : s_(s), ps_(ps), where_(where) {}

  Result<double> parse() {
    SIEVE_ASSIGN_OR_RETURN(double v, sum());
    skip();
    if (i_ != s_.size()) return error("unexpected '" + std::string(1, s_[i_]) + "'");
    return v;
  }

 private:
  Status error(const std::string& what) const {
    return invalid_argument("{}: expression \"{}\": {} at position {}", where_, s_, what, i_);
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  Result<double> sum() {
    SIEVE_ASSIGN_OR_RETURN(double v, product());
    for (;;) {
      skip();
      if (i_ >= s_.size() || (s_[i_] != '+' && s_[i_] != '-')) return v;
      const char op = s_[i_++];
      SIEVE_ASSIGN_OR_RETURN(double r, product());
      v = op == '+' ? v + r : v - r;
    }
  }
  Result<double> product() {
    SIEVE_ASSIGN_OR_RETURN(double v, atom());
    for (;;) {
      skip();
      if (i_ >= s_.size() || (s_[i_] != '*' && s_[i_] != '/')) return v;
      const char op = s_[i_++];
      SIEVE_ASSIGN_OR_RETURN(double r, atom());
      if (op == '/' && r == 0) return error("division by zero");
      v = op == '*' ? v * r : v / r;
    }
  }
  Result<double> atom() {
    skip();
    if (i_ >= s_.size()) return error("expected a number, a name or '('");
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      SIEVE_ASSIGN_OR_RETURN(double v, sum());
      skip();
      if (i_ >= s_.size() || s_[i_] != ')') return error("expected ')'");
      ++i_;
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const char* begin = s_.c_str() + i_;
      char* end = nullptr;
      const double v = std::strtod(begin, &end);
      i_ += static_cast<size_t>(end - begin);
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t start = i_;
      while (i_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
        ++i_;
      const std::string name = s_.substr(start, i_ - start);
      if (const Param* p = ps_.find(name)) return p->value;
      std::string known;
      for (const Param& p : ps_.params) known += (known.empty() ? "" : ", ") + p.name;
      return invalid_argument("{}: expression \"{}\": unknown parameter \"{}\" (the preset {} has: {})",
                              where_, s_, name, ps_.file, known);
    }
    return error("unexpected '" + std::string(1, c) + "'");
  }

  const std::string& s_;
  const ParamSet& ps_;
  const std::string& where_;
  size_t i_ = 0;
};

}  // namespace

Result<double> eval_expr(const std::string& expr, const ParamSet& ps, const std::string& where) {
  return Parser(expr, ps, where).parse();
}

}  // namespace sieve::hw::area
