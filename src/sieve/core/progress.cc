#include "sieve/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace sieve {

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t < 60) return fmt::format("{} s", t);
  if (t < 3600) return fmt::format("{} min {:02} s", t / 60, t % 60);
  return fmt::format("{} h {:02} min", t / 3600, (t / 60) % 60);
}

Progress::Progress(std::string what, int64_t total, std::string unit, ProgressOptions options)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), opt_(std::move(options)) {
  if (opt_.tty) {
    tty_ = *opt_.tty;
  } else {
    tty_ = opt_.out != nullptr && isatty(fileno(opt_.out)) != 0;
    // Only the detected case reads the environment: an injected answer is the test's.
    const char* env = std::getenv("SIEVE_PROGRESS");
    enabled_ = env == nullptr || std::strcmp(env, "0") != 0;
  }
  t0_ = start_ = last_line_ = now();
}

Progress::~Progress() {
  std::lock_guard<std::mutex> lock(mu_);
  clear_bar_locked();
}

double Progress::now() const {
  if (opt_.clock) return opt_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

std::string rate_and_eta(int64_t done, int64_t total, double elapsed, bool* have_eta,
                         double* eta) {
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  *have_eta = total > 0 && done > 0 && rate > 0;
  *eta = *have_eta ? static_cast<double>(total - done) / rate : -1.0;
  return rate >= 100 ? fmt::format("{:.0f}", rate) : fmt::format("{:.3g}", rate);
}

}  // namespace

std::string Progress::bar_text(int64_t done, double elapsed, std::string_view note) const {
  bool have_eta = false;
  double eta = 0;
  const std::string rate = rate_and_eta(done, total_, elapsed, &have_eta, &eta);
  std::string s = what_;
  if (total_ > 0) {
    const double f = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
    const int filled = static_cast<int>(f * opt_.bar_width);
    s += fmt::format(" [{}{}] {:5.1f}%  {}/{} {}", std::string(static_cast<size_t>(filled), '#'),
                     std::string(static_cast<size_t>(opt_.bar_width - filled), '.'), 100 * f,
                     done, total_, unit_);
  } else {
    s += fmt::format("  {} {}", done, unit_);
  }
  s += fmt::format("  {}/s", rate);
  if (total_ > 0) s += "  ETA " + (have_eta ? duration_text(eta) : std::string("?"));
  if (!note.empty()) s += fmt::format("  {}", note);
  return s;
}

std::string Progress::line_text(int64_t done, double elapsed, std::string_view note) const {
  bool have_eta = false;
  double eta = 0;
  const std::string rate = rate_and_eta(done, total_, elapsed, &have_eta, &eta);
  std::string s = what_ + ": ";
  if (total_ > 0)
    s += fmt::format("{}/{} {} ({:.1f} %), {}/s, ETA {}", done, total_, unit_,
                     100.0 * static_cast<double>(done) / static_cast<double>(total_), rate,
                     have_eta ? duration_text(eta) : std::string("?"));
  else
    s += fmt::format("{} {}, {}/s", done, unit_, rate);
  if (!note.empty()) s += fmt::format(", {}", note);
  return s;
}

void Progress::clear_bar_locked() {
  if (drawn_width_ == 0 || opt_.out == nullptr) return;
  std::fprintf(opt_.out, "\r%*s\r", static_cast<int>(drawn_width_), "");
  std::fflush(opt_.out);
  drawn_width_ = 0;
}

void Progress::write_line_locked(std::string_view text, double t) {
  if (opt_.out == nullptr) return;
  clear_bar_locked();
  std::fprintf(opt_.out, "[%7.1fs] %.*s\n", t - t0_, static_cast<int>(text.size()), text.data());
  std::fflush(opt_.out);
}

void Progress::update(int64_t done, std::string_view note) {
  if (!enabled_ || opt_.out == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  const double t = now();
  if (tty_) {
    if (t - last_draw_ < opt_.redraw_every_s) return;
    last_draw_ = t;
    const std::string s = bar_text(done, t - start_, note);
    // Pad over a longer previous bar so none of it is left on screen.
    std::fprintf(opt_.out, "\r%s%*s", s.c_str(),
                 static_cast<int>(drawn_width_ > s.size() ? drawn_width_ - s.size() : 0), "");
    std::fflush(opt_.out);
    drawn_width_ = std::max(drawn_width_, s.size());
  } else {
    if (t - last_line_ < opt_.line_every_s) return;
    last_line_ = t;
    write_line_locked(line_text(done, t - start_, note), t);
  }
}

void Progress::restart(std::string what, int64_t total) {
  std::lock_guard<std::mutex> lock(mu_);
  what_ = std::move(what);
  total_ = total;
  start_ = last_line_ = now();
  last_draw_ = -1e300;
}

void Progress::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  clear_bar_locked();
  last_draw_ = -1e300;
}

void Progress::line(std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  write_line_locked(text, now());
}

void Progress::finish(int64_t done, std::string_view note) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  const double t = now();
  write_line_locked(line_text(done, t - start_, note), t);
}

}  // namespace sieve
