// core/progress.h: the bar on a terminal, timestamped lines elsewhere, throttling, rate and ETA,
// with the terminal answer and the clock injected (never the test machine's).
#include "sieve/core/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace sieve {
namespace {

// Captures what a Progress writes (a tmpfile read back), with an injected clock `t`.
struct Capture {
  std::FILE* f = std::tmpfile();
  double t = 0;
  ~Capture() { std::fclose(f); }
  ProgressOptions options(bool tty) {
    ProgressOptions o;
    o.out = f;
    o.tty = tty;
    o.clock = [this] { return t; };
    return o;
  }
  std::string text() {
    std::fflush(f);
    std::rewind(f);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fseek(f, 0, SEEK_END);
    return s;
  }
};

TEST(Progress, DurationText) {
  EXPECT_EQ(duration_text(0), "0 s");
  EXPECT_EQ(duration_text(44.6), "45 s");
  EXPECT_EQ(duration_text(150), "2 min 30 s");
  EXPECT_EQ(duration_text(3600 + 5 * 60), "1 h 05 min");
  EXPECT_EQ(duration_text(-1), "?");
}

TEST(Progress, BarAndLineText) {
  Capture c;
  ProgressOptions o;
  o.out = c.f;
  o.tty = true;
  o.bar_width = 10;
  Progress p("sweep", 1000, "points", o);
  // 400 of 1000 in 10 s: 40/s, 600 left: 15 s.
  EXPECT_EQ(p.bar_text(400, 10.0, "x"),
            "sweep [####......]  40.0%  400/1000 points  40/s  ETA 15 s  x");
  EXPECT_EQ(p.line_text(400, 10.0, ""), "sweep: 400/1000 points (40.0 %), 40/s, ETA 15 s");
  EXPECT_EQ(p.line_text(0, 0.0, ""), "sweep: 0/1000 points (0.0 %), 0/s, ETA ?");
  Progress unknown("reading", 0, "files", o);
  EXPECT_EQ(unknown.line_text(7, 2.0, "n"), "reading: 7 files, 3.5/s, n");
}

TEST(Progress, TerminalRedrawsInPlaceAndIsThrottled) {
  Capture c;
  double& t = c.t;
  ProgressOptions o = c.options(true);
  o.bar_width = 4;
  Progress p("train", 100, "batches", o);
  t = 1.0;
  p.update(10);
  t = 1.05;  // within the 0.1 s redraw interval: not drawn
  p.update(11);
  t = 2.0;
  p.update(20);
  const std::string s = c.text();
  EXPECT_EQ(s.find('\n'), std::string::npos) << s;  // in place: no new line
  EXPECT_NE(s.find("\rtrain [....]  10.0%  10/100 batches"), std::string::npos) << s;
  EXPECT_EQ(s.find("11/100"), std::string::npos) << s;
  EXPECT_NE(s.find("\rtrain [....]  20.0%  20/100 batches  10/s  ETA 8 s"), std::string::npos)
      << s;
  // A text line clears the bar first and is timestamped from the start.
  p.line("epoch 1 done");
  EXPECT_NE(c.text().find("\r[    2.0s] epoch 1 done\n"), std::string::npos) << c.text();
}

TEST(Progress, PipeGetsTimestampedLinesEveryInterval) {
  Capture c;
  double& t = c.t;
  t = 100;
  ProgressOptions o = c.options(false);
  o.line_every_s = 10;
  Progress p("sweep", 1000, "points", o);
  t = 105;
  p.update(100);  // 5 s after the start: too soon for a line
  t = 110;
  p.update(200);
  t = 115;
  p.update(300);  // 5 s after the last line
  t = 120;
  p.finish(1000);
  EXPECT_EQ(c.text(),
            "[   10.0s] sweep: 200/1000 points (20.0 %), 20/s, ETA 40 s\n"
            "[   20.0s] sweep: 1000/1000 points (100.0 %), 50/s, ETA 0 s\n");
}

TEST(Progress, RestartCountsTheRateAgain) {
  Capture c;
  double& t = c.t;
  Progress p("retrain 1", 10, "batches", c.options(false));
  t = 50;
  p.restart("retrain 2", 20);
  t = 60;
  p.finish(20);
  EXPECT_EQ(c.text(), "[   60.0s] retrain 2: 20/20 batches (100.0 %), 2/s, ETA 0 s\n");
}

}  // namespace
}  // namespace sieve
