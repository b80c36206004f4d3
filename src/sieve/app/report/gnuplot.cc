#include "sieve/app/report/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "sieve/app/report/html.h"
#include "sieve/app/report/report.h"
#include "sieve/core/assert.h"

extern char** environ;

namespace sieve::app::report {
namespace {

constexpr const char* kInstallHint =
    "sieve report draws its plots with gnuplot's SVG terminal: install Debian's gnuplot-nox "
    "(apt-get install gnuplot-nox; it is in deps/debian-packages.txt) or pass --gnuplot PATH";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A temporary folder removed when this goes out of scope.
class TempDir {
 public:
  static Result<TempDir> make() {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string tmpl = (base / "sieve-report-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      return io_error("cannot create a temporary folder {}: {}", tmpl, std::strerror(errno));
    return TempDir(tmpl);
  }
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::string p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

struct RunResult {
  int rc = -1;
  std::string out, err;
};

// Runs `argv` in folder `dir` with stdin from /dev/null, stdout and stderr into files there.
// posix_spawn rather than fork: safe in a threaded process, and it reports a program that cannot
// be executed as its return value.
Result<RunResult> run_in(const std::filesystem::path& dir, const std::vector<std::string>& argv) {
  const std::string out_path = (dir / "stdout.txt").string();
  const std::string err_path = (dir / "stderr.txt").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Our data files write numbers with '.': the child reads them in the C numeric locale whatever
  // the user's LC_ALL / LC_NUMERIC (the rest of the environment is passed on).
  std::vector<std::string> env_strings = {"LC_NUMERIC=C"};
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (v.rfind("LC_ALL=", 0) == 0 || v.rfind("LC_NUMERIC=", 0) == 0) continue;
    env_strings.emplace_back(v);
  }
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return failed_precondition("cannot run {}: {}; {}", argv[0], std::strerror(rc), kInstallHint);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return internal_error("waitpid({}): {}", argv[0], std::strerror(errno));
  }
  RunResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

}  // namespace

std::string find_program(const std::string& program) {
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos)
    return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end > start ? path.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return "";
}

std::string gp_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string inline_svg(const std::string& svg, const std::string& prefix,
                       const std::string& title) {
  const size_t start = svg.find("<svg");
  std::string s = start == std::string::npos ? svg : svg.substr(start);
  // gnuplot writes ids and references with single quotes (and a few with double quotes). The
  // leading space keeps attributes that merely end in "id" out.
  for (const char* q : {"'", "\""}) {
    replace_all(s, std::string(" id=") + q, std::string(" id=") + q + prefix + "-");
    replace_all(s, std::string("href=") + q + "#", std::string("href=") + q + "#" + prefix + "-");
  }
  replace_all(s, "url(#", "url(#" + prefix + "-");
  const size_t t0 = s.find("<title>");
  const size_t t1 = s.find("</title>");
  if (t0 != std::string::npos && t1 != std::string::npos && t1 > t0)
    s.replace(t0, t1 + 8 - t0, "<title>" + esc(title) + "</title>");
  // An HTML document needs no XML namespace declarations on inline SVG, but they are harmless;
  // mark the element for the page's CSS and for the browser test.
  if (s.compare(0, 4, "<svg") == 0) s.insert(4, " class=\"plot\" role=\"img\"");
  return s;
}

Result<Gnuplot> Gnuplot::find(const std::string& program) {
  Gnuplot g;
  g.path_ = find_program(program);
  if (g.path_.empty()) {
    const bool has_slash = program.find('/') != std::string::npos;
    return failed_precondition("gnuplot not found: {} {}; {}", program,
                               has_slash ? "is not an executable file" : "is not on PATH",
                               kInstallHint);
  }
  SIEVE_ASSIGN_OR_RETURN(TempDir dir, TempDir::make());
  SIEVE_ASSIGN_OR_RETURN(RunResult r, run_in(dir.path(), {g.path_, "--version"}));
  if (r.rc != 0)
    return failed_precondition("{} --version failed (exit {}): {}; {}", g.path_, r.rc, r.err,
                               kInstallHint);
  g.version_ = r.out;
  while (!g.version_.empty() && (g.version_.back() == '\n' || g.version_.back() == ' '))
    g.version_.pop_back();
  return g;
}

Result<std::string> Gnuplot::render_svg(const Plot& plot) const {
  SIEVE_ASSIGN_OR_RETURN(TempDir dir, TempDir::make());
  for (const auto& [name, contents] : plot.data) {
    SIEVE_ASSERT(name.find('/') == std::string::npos);
    std::ofstream f(dir.path() / name, std::ios::binary);
    f << contents;
    if (!f) return io_error("cannot write {}", (dir.path() / name).string());
  }
  std::string script = fmt::format(
      "set encoding utf8\n"
      "set terminal svg size {},{} dynamic noenhanced font \"DejaVu Sans,11\" "
      "background rgb \"white\"\n"
      "set output \"plot.svg\"\n"
      "set datafile separator \"\\t\"\n"
      "set datafile missing \"?\"\n",
      plot.width, plot.height);
  script += plot.script;
  script += "\nset output\n";
  {
    std::ofstream f(dir.path() / "plot.gp", std::ios::binary);
    f << script;
    if (!f) return io_error("cannot write {}", (dir.path() / "plot.gp").string());
  }
  SIEVE_ASSIGN_OR_RETURN(RunResult r, run_in(dir.path(), {path_, "plot.gp"}));
  const std::string svg = slurp(dir.path() / "plot.svg");
  if (r.rc != 0 || svg.find("</svg>") == std::string::npos) {
    std::string err = r.err.empty() ? "(no message)" : r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return internal_error("gnuplot failed drawing \"{}\" (exit {}): {}", plot.title, r.rc, err);
  }
  return inline_svg(svg, plot.id, plot.title);
}

}  // namespace sieve::app::report
