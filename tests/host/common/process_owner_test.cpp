// Owner ids name a live process exactly: this one is alive; one that exited, one whose pid
// was reused (another start time), one from another boot and malformed ids are not.
#include "common/process_owner.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace stratrun {
namespace {

TEST(ProcessOwnerTest, ThisProcessIsAlive) {
  const std::string owner = ThisProcessOwner();
  EXPECT_EQ(owner, ThisProcessOwner());
  EXPECT_NE(owner.find("/" + std::to_string(getpid()) + "/"), std::string::npos) << owner;
  EXPECT_TRUE(OwnerIsAlive(owner));
}

TEST(ProcessOwnerTest, AProcessThatExitedIsNotAlive) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child reports its own owner id and exits.
    const std::string owner = ThisProcessOwner();
    (void)!write(pipe_fds[1], owner.data(), owner.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string owner;
  char buffer[256];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) owner.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  ASSERT_NE(owner.find("/" + std::to_string(child) + "/"), std::string::npos) << owner;
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_FALSE(OwnerIsAlive(owner));
}

TEST(ProcessOwnerTest, AReusedPidOrAnotherBootIsNotTheOwner) {
  const std::string owner = ThisProcessOwner();
  const size_t last = owner.rfind('/');
  EXPECT_FALSE(OwnerIsAlive(owner.substr(0, last + 1) + "1")) << "same pid, another start time";
  std::string other_boot = owner;
  other_boot[0] = other_boot[0] == '0' ? '1' : '0';
  EXPECT_FALSE(OwnerIsAlive(other_boot));
}

TEST(ProcessOwnerTest, MalformedIdsAreUnknown) {
  for (const char* owner : {"", "garbage", "boot/abc/1", "boot//1", "boot/12/", "/1/2"}) {
    EXPECT_FALSE(OwnerIsAlive(owner)) << owner;
  }
}

}  // namespace
}  // namespace stratrun
