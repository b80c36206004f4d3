// Progress of long work (training, compression, a sweep, reproduce, a simulation over many
// images), shown the way its reader can use it:
//   - on a terminal, one bar redrawn in place on stderr, with the count, the rate and the ETA:
//       sweep [##########..............]  41.7%  4170/10000 points  38.8/s  ETA 2 min 30 s
//   - elsewhere (a pipe, a log file, CI), plain timestamped lines, at most one every
//     `line_every_s` seconds, and one at the end:
//       [  107.4s] sweep: 4170/10000 points (41.7 %), 38.8/s, ETA 2 min 30 s
// Text lines in between (`line`) are timestamped the same way and first clear the bar, so the
// two never mix. SIEVE_PROGRESS=0 in the environment turns the bar and the periodic lines off
// (`line` still prints).
//
// Contract: the rate is the items done since construction over the time since construction;
// the ETA is what is left at that rate ("?" before the first item). update() is throttled: a
// bar is redrawn at most every `redraw_every_s`, a line written at most every `line_every_s`;
// finish() always writes. Output goes to `out` only. Thread-safety: every member may be called
// from any thread (one mutex).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sieve {

struct ProgressOptions {
  std::FILE* out = stderr;
  std::optional<bool> tty;  // nullopt: isatty(out), and SIEVE_PROGRESS=0 turns updates off
  double redraw_every_s = 0.1;
  double line_every_s = 10.0;
  int bar_width = 24;
  std::function<double()> clock;  // seconds; default: a steady clock (tests inject one)
};

class Progress {
 public:
  // `what` names the work ("sweep"), `unit` its items ("points"); total 0 = unknown (no bar,
  // no ETA: a count and a rate).
  Progress(std::string what, int64_t total, std::string unit, ProgressOptions options = {});
  ~Progress();  // clears a drawn bar (no final line: call finish for that)
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` items of `total` are finished; `note` is appended ("loss 0.31").
  void update(int64_t done, std::string_view note = {});
  // Starts counting again for other work of `total` items (one progress per training run).
  void restart(std::string what, int64_t total);
  // Clears a drawn bar (before other output on the same terminal); the next update redraws it.
  void clear();
  // A timestamped line of text; clears the bar first.
  void line(std::string_view text);
  // The final state, `done` items, as a line (on a terminal too, replacing the bar).
  void finish(int64_t done, std::string_view note = {});

  // The texts, for tests: the bar (without "\r") and the line (without the timestamp).
  std::string bar_text(int64_t done, double elapsed_s, std::string_view note) const;
  std::string line_text(int64_t done, double elapsed_s, std::string_view note) const;

  bool tty() const { return tty_; }

 private:
  double now() const;
  void clear_bar_locked();
  void write_line_locked(std::string_view text, double t);

  std::string what_, unit_;
  int64_t total_ = 0;
  ProgressOptions opt_;
  bool tty_ = false;
  bool enabled_ = true;
  double t0_ = 0.0;           // the clock at construction (timestamps)
  double start_ = 0.0;        // the clock at the last (re)start (rate)
  double last_draw_ = -1e300;
  double last_line_ = 0.0;
  size_t drawn_width_ = 0;  // characters of the bar on screen, 0 = none
  std::mutex mu_;
};

// "45 s", "2 min 30 s", "1 h 05 min"; "?" for a negative or non-finite value.
std::string duration_text(double seconds);

}  // namespace sieve
