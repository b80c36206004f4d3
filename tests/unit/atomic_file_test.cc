// write_file_atomic / read_file: contents, replacement, no temporary left, errors name paths.
#include "sieve/core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "onnx_test_util.h"

namespace sieve {
namespace {

TEST(AtomicFile, WritesReplacesAndLeavesNoTemporary) {
  onnx_test::ScratchDir dir;
  const std::string path = dir.file("a.bin");
  ASSERT_TRUE(write_file_atomic(path, "first version, longer").ok());
  ASSERT_TRUE(write_file_atomic(path, std::string("se\0cond", 7)).ok());
  auto back = read_file(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, std::string("se\0cond", 7));
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++n;
    EXPECT_EQ(e.path().filename(), "a.bin");
  }
  EXPECT_EQ(n, 1);
  ASSERT_TRUE(write_file_atomic(path, "").ok());
  EXPECT_EQ(*read_file(path), "");
}

TEST(AtomicFile, ErrorsNameThePath) {
  onnx_test::ScratchDir dir;
  Status s = write_file_atomic(dir.file("missing/sub/x.bin"), "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("missing/sub/x.bin"), std::string::npos) << s.message();

  auto r = read_file(dir.file("nope.txt"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope.txt"), std::string::npos);

  auto d = read_file(dir.path().string());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("directory"), std::string::npos);

  // A device never ends: refused at once (a recipe or a spec naming /dev/zero).
  auto z = read_file("/dev/zero");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().message(), "/dev/zero: is a device, expected a file or a pipe");
}

TEST(AtomicFile, FailedRenameKeepsTheOldFileAndCleansUp) {
  onnx_test::ScratchDir dir;
  // Renaming a file over a non-empty directory fails: the write must report it and leave
  // nothing behind.
  const std::string target = dir.file("d");
  std::filesystem::create_directories(target + "/inner");
  Status s = write_file_atomic(target, "data");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++n;
    EXPECT_EQ(e.path().filename(), "d");
  }
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace sieve
