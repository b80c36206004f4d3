#include "sieve/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

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

}  // namespace

Status write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  if (path.empty()) return invalid_argument("write_file_atomic: empty path");
  const std::string tmp =
      fmt::format("{}.tmp.{}.{}", path, static_cast<long>(getpid()), g_counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("{}: cannot open for reading: {}", path, errno_str(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("{}: read failed", path);
  return ss.str();
}

}  // namespace sieve
