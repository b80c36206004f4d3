#include "sieve/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace sieve {

namespace {

std::string errno_str(int err) {
  return std::strerror(err);
}

// Directory part of `path` ("." when there is none), for fsync after the rename.
std::string dir_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::atomic<uint64_t> g_counter{0};

// The registry of temporary files in flight, read by remove_temp_files_on_signal() from a signal
// handler: fixed storage and lock-free atomics only (no allocation, no locks), so that the
// handler is async-signal-safe. A slot's state:
//   kFree      unused;
//   kClaimed   taken by a writer that is copying the path in: no file exists yet;
//   kOpening   path complete, open(O_CREAT) may be running: the file may or may not exist;
//   kExists    the file exists (until renamed or removed; then the slot is freed).
// Dekker-style handshake with the handler: the writer stores kOpening and then reads g_dying;
// the handler stores g_dying and then reads the slots (all sequentially consistent), so either
// the writer sees g_dying and creates nothing, or the handler sees the slot and deletes the file.
// The same handshake at claim time (kClaimed, then g_dying) keeps a writer from rewriting a
// slot's path while the handler may still be reading it.
enum SlotState : int { kFree = 0, kClaimed = 1, kOpening = 2, kExists = 3 };
constexpr int kSlots = 32;
constexpr size_t kMaxTempPath = 4096;
struct TempSlot {
  std::atomic<int> state{kFree};
  std::atomic<long> tid{0};
  char path[kMaxTempPath];
};
TempSlot g_slots[kSlots];
std::atomic<bool> g_dying{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<long>::is_always_lock_free &&
              std::atomic<bool>::is_always_lock_free);

long this_tid() {
  return static_cast<long>(::syscall(SYS_gettid));
}

// One writer's registration. More writers in flight than slots: the extra ones go untracked
// (their temporary file is still never at the output path).
class TempRegistration {
 public:
  explicit TempRegistration(const std::string& tmp) {
    if (tmp.size() >= kMaxTempPath) return;
    for (int i = 0; i < kSlots; ++i) {
      int expected = kFree;
      if (g_slots[i].state.compare_exchange_strong(expected, kClaimed)) {
        // A handler that is cleaning up may be reading this slot's previous path: do not
        // overwrite it (begin_open() then refuses the write).
        if (g_dying.load()) {
          g_slots[i].state.store(kFree);
          return;
        }
        slot_ = &g_slots[i];
        std::memcpy(slot_->path, tmp.c_str(), tmp.size() + 1);
        slot_->tid.store(this_tid());
        return;
      }
    }
  }
  ~TempRegistration() {
    if (slot_ != nullptr) slot_->state.store(kFree);
  }
  TempRegistration(const TempRegistration&) = delete;
  TempRegistration& operator=(const TempRegistration&) = delete;
  // Before open(): false when a signal handler is cleaning up (then do not create the file).
  bool begin_open() {
    if (slot_ != nullptr) slot_->state.store(kOpening);
    return !g_dying.load();
  }
  void opened() {
    if (slot_ != nullptr) slot_->state.store(kExists);
  }

 private:
  TempSlot* slot_ = nullptr;
};

// SIEVE_TEST_PAUSE_WRITE_MS as milliseconds, 0 when unset or not a positive number.
long pause_write_ms() {
  const char* v = std::getenv(kPauseWriteEnv);
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  const long ms = std::strtol(v, &end, 10);
  return (end != nullptr && *end == '\0' && ms > 0) ? ms : 0;
}

}  // namespace

void remove_temp_files_on_signal() noexcept {
  g_dying.store(true);
  const long self = this_tid();
  for (TempSlot& slot : g_slots) {
    int st = slot.state.load();
    // Another thread inside open(): wait for it to finish (bounded), then delete its file.
    if (st == kOpening && slot.tid.load() != self) {
      for (int i = 0; i < 1000 && st == kOpening; ++i) {
        struct timespec ms = {0, 1000000};
        ::nanosleep(&ms, nullptr);
        st = slot.state.load();
      }
    }
    if (st == kOpening || st == kExists) ::unlink(slot.path);
  }
}

Status write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  if (path.empty()) return invalid_argument("write_file_atomic: empty path");
  const std::string tmp =
      fmt::format("{}.tmp.{}.{}", path, static_cast<long>(getpid()), g_counter.fetch_add(1));
  TempRegistration reg(tmp);
  if (!reg.begin_open()) return io_error("{}: not written: the process is being stopped", path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) reg.opened();
  if (fd < 0) {
    int err = errno;
    Status s = io_error("{}: cannot create temporary file {}: {}", path, tmp, errno_str(err));
    return err == ENOENT ? Status(StatusCode::kNotFound, s.message()) : s;
  }
  auto fail = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return io_error("{}: {} of temporary file {} failed: {}", path, what, tmp, errno_str(err));
  };
  const std::byte* p = bytes.data();
  size_t left = bytes.size();
  const long pause_ms = pause_write_ms();
  size_t pause_at = pause_ms > 0 ? left - left / 2 : 0;  // bytes left when the pause comes
  while (left > 0) {
    ssize_t n = ::write(fd, p, pause_ms > 0 && left > pause_at ? left - pause_at : left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
    if (pause_ms > 0 && left == pause_at && pause_at > 0) {
      std::fprintf(stderr, "sieve: paused writing %s\n", tmp.c_str());
      std::fflush(stderr);
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      pause_at = 0;
    }
  }
  if (::fsync(fd) != 0) return fail("fsync", errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("{}: close of temporary file {} failed: {}", path, tmp, errno_str(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error("{}: rename from {} failed: {}", path, tmp, errno_str(err));
  }
  // Make the rename itself durable; failure here is not worth reporting (the data is written).
  int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return ok_status();
}

Status write_file_atomic(const std::string& path, std::string_view contents) {
  return write_file_atomic(
      path, std::span<const std::byte>(reinterpret_cast<const std::byte*>(contents.data()),
                                       contents.size()));
}

Result<std::string> read_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return not_found("{}: no such file", path);
    return io_error("{}: cannot stat: {}", path, errno_str(err));
  }
  if (S_ISDIR(st.st_mode)) return io_error("{}: is a directory, expected a file", path);
  // A device (/dev/zero, /dev/urandom) never ends: refused. A pipe (/dev/stdin from a shell
  // pipe, a FIFO) is read to its end.
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
    return io_error("{}: is a device, expected a file or a pipe", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("{}: cannot open for reading: {}", path, errno_str(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("{}: read failed", path);
  return ss.str();
}

}  // namespace sieve
