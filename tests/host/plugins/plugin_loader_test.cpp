// LoadPlugin against real fixture libraries: each failure mode is rejected with its
// reason, ABI minors are negotiated, and the private copy protects against the original
// file being replaced.
#include "plugins/plugin_loader.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "common/process_owner.h"
#include "common/sha256.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using testing::kBrokenPluginDir;
using testing::kGoodPluginDir;
using testing::TempDir;

class PluginLoaderTest : public ::testing::Test {
 protected:
  Result<std::shared_ptr<const Plugin>> Load(const fs::path& file, AbiVersion host = {}) {
    return LoadPlugin(file, {.cache_dir = cache_.path(), .host_abi = host});
  }
  std::string RejectionOf(const std::string& name) {
    auto loaded = Load(kBrokenPluginDir / (name + ".so"));
    EXPECT_FALSE(loaded.ok()) << name << " loaded but should be rejected";
    return loaded.ok() ? "" : loaded.status().message();
  }
  TempDir cache_;
};

TEST_F(PluginLoaderTest, LoadsACPluginAndCopiesItsDescriptor) {
  auto plugin = Load(kGoodPluginDir / "c_minimal.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().message();
  const Plugin& p = **plugin;
  EXPECT_EQ(p.code(), "c_minimal");
  EXPECT_EQ(p.name(), "C minimal");
  EXPECT_EQ(p.version(), "0.1.0");
  EXPECT_EQ(p.stages(), std::vector<std::string>{"scan"});
  ASSERT_NE(p.schema().Find("min_close"), nullptr);
  EXPECT_EQ(p.built_abi().ToString(), AbiVersion{}.ToString());  // what this SDK header says
  EXPECT_EQ(p.file(), kGoodPluginDir / "c_minimal.so");
  EXPECT_EQ(p.sha256().size(), 64u);
  EXPECT_TRUE(fs::exists(cache_.path() / (p.sha256() + ".so")));
}

TEST_F(PluginLoaderTest, RejectsAFileThatIsNotELF) {
  EXPECT_EQ(RejectionOf("not_elf"), "not an ELF shared library");
}

TEST_F(PluginLoaderTest, RejectsALibraryWithoutTheEntryPoint) {
  EXPECT_NE(RejectionOf("missing_entry").find("no entry point 'stratrun_plugin_entry'"), std::string::npos);
}

TEST_F(PluginLoaderTest, RejectsAnEntryPointThatFails) {
  const std::string reason = RejectionOf("entry_fails");
  EXPECT_NE(reason.find("entry point failed"), std::string::npos) << reason;
  EXPECT_NE(reason.find("license file not found"), std::string::npos) << reason;  // the plugin's message
}

TEST_F(PluginLoaderTest, RejectsAnEntryPointThatThrows) {
  const std::string reason = RejectionOf("entry_throws");
  EXPECT_NE(reason.find("threw"), std::string::npos) << reason;
  EXPECT_NE(reason.find("config missing"), std::string::npos) << reason;
}

TEST_F(PluginLoaderTest, RejectsANullDescriptor) {
  EXPECT_EQ(RejectionOf("null_descriptor"), "entry point returned no descriptor");
}

TEST_F(PluginLoaderTest, RejectsATruncatedDescriptor) {
  EXPECT_NE(RejectionOf("truncated_descriptor").find("bytes; ABI 1.0 needs at least"), std::string::npos);
}

TEST_F(PluginLoaderTest, RejectsAnInvalidStrategyCode) {
  EXPECT_EQ(RejectionOf("bad_code"), "strategy code must match [a-z0-9_]{1,64}");
}

TEST_F(PluginLoaderTest, RejectsAnInvalidParameterSchema) {
  EXPECT_NE(RejectionOf("bad_schema").find("invalid parameter schema"), std::string::npos);
}

TEST_F(PluginLoaderTest, RejectsAnSdkStrategyWhoseDescribeThrows) {
  const std::string reason = RejectionOf("sdk_describe_throws");
  EXPECT_NE(reason.find("describe exploded"), std::string::npos) << reason;
}

TEST_F(PluginLoaderTest, RefusesAnotherMajorNamingBothVersions) {
  EXPECT_EQ(RejectionOf("abi_major_mismatch"),
            "plugin ABI 2.0 is not supported by host ABI " + AbiVersion{}.ToString() + " (major versions differ)");
}

TEST_F(PluginLoaderTest, AcceptsAPluginBuiltForANewerMinor) {
  auto plugin = Load(kGoodPluginDir / "abi_newer_minor.so");
  ASSERT_TRUE(plugin.ok()) << plugin.status().message();
  EXPECT_EQ((*plugin)->built_abi().ToString(), "1.7");
  EXPECT_EQ((*plugin)->abi().ToString(), AbiVersion{}.ToString());  // only the fields both sides know
}

TEST_F(PluginLoaderTest, ANewerHostLoadsAPluginBuiltForAnOlderMinor) {
  auto plugin = Load(kGoodPluginDir / "c_minimal.so", AbiVersion{1, 5});
  ASSERT_TRUE(plugin.ok()) << plugin.status().message();
  EXPECT_EQ((*plugin)->abi().ToString(), AbiVersion{}.ToString());  // c_minimal's own minor
}

TEST_F(PluginLoaderTest, AHostOfAnotherMajorRefusesAnSdkPluginWithBothVersions) {
  auto loaded = Load(kGoodPluginDir / "paced.so", AbiVersion{2, 0});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("host ABI 2.0"), std::string::npos) << loaded.status().message();
  EXPECT_NE(loaded.status().message().find("ABI " + AbiVersion{}.ToString()), std::string::npos)
      << loaded.status().message();
}

TEST_F(PluginLoaderTest, ReplacingTheOriginalFileAfterLoadingIsSafe) {
  TempDir plugins;
  const fs::path file = plugins.path() / "strategy.so";
  fs::copy_file(kGoodPluginDir / "c_minimal.so", file);
  auto first = Load(file);
  ASSERT_TRUE(first.ok()) << first.status().message();

  // Overwrite in place, as `cp new.so strategy.so` does: the loaded copy is untouched.
  fs::copy_file(kGoodPluginDir / "paced.so", file, fs::copy_options::overwrite_existing);
  auto second = Load(file);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ((*first)->code(), "c_minimal");
  EXPECT_EQ((*second)->code(), "paced");
  EXPECT_NE((*first)->sha256(), (*second)->sha256());
  EXPECT_NE((*first)->run_hook(), nullptr);
  EXPECT_EQ((*first)->schema().Find("min_close")->name, "min_close");  // still readable
}

TEST_F(PluginLoaderTest, AMissingFileIsARejectionNotACrash) {
  auto loaded = Load(kGoodPluginDir / "does_not_exist.so");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), "not a regular file");
}

// ---- a plugin whose load kills the process ---------------------------------------------------

TEST_F(PluginLoaderTest, AFileWhoseLoadKilledAProcessIsRejectedFromThenOnWithoutRunningIt) {
  const fs::path crashing = testing::kCrashingPluginDir / "crash_on_load.so";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    (void)Load(crashing);  // dies in the plugin's entry point
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the fixture must kill the process that loads it";

  // This process would die too if the entry point ran again.
  for (int scan = 0; scan < 2; ++scan) {
    auto loaded = Load(crashing);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.status().message().find("loading it killed the process: stratrun process " +
                                             std::to_string(child) + " died while running its load code"),
              std::string::npos)
        << loaded.status().message();
    EXPECT_NE(loaded.status().message().find("it stays rejected until the file changes"), std::string::npos);
  }
}

TEST_F(PluginLoaderTest, ALoadInProgressInAnotherLiveProcessIsNotACrash) {
  const fs::path file = kGoodPluginDir / "c_minimal.so";
  auto sha = Sha256OfFile(file);
  ASSERT_TRUE(sha.ok());
  fs::create_directories(cache_.path() / "loading");
  std::ofstream(cache_.path() / "loading" / (*sha + ".1")) << ThisProcessOwner();  // alive: this process
  EXPECT_TRUE(Load(file).ok());

  // The same mark from a process that has died: a crash, so the file is quarantined until
  // its crashed mark is deleted.
  const std::string owner = ThisProcessOwner();
  std::ofstream(cache_.path() / "loading" / (*sha + ".1"), std::ios::trunc) << owner.substr(0, owner.rfind('/')) + "/1";
  EXPECT_FALSE(Load(file).ok());
  fs::remove(cache_.path() / "crashed" / *sha);
  EXPECT_TRUE(Load(file).ok()) << "deleting the crashed mark allows a new try";
  EXPECT_TRUE(fs::is_empty(cache_.path() / "loading")) << "a finished load leaves no mark";
}

TEST_F(PluginLoaderTest, AFileWhoseRunsKeepKillingTheirProcessIsQuarantined) {
  const fs::path file = kGoodPluginDir / "c_minimal.so";
  auto sha = Sha256OfFile(file);
  ASSERT_TRUE(sha.ok());
  const std::string owner = ThisProcessOwner();
  const std::string boot = owner.substr(0, owner.find('/'));
  fs::create_directories(cache_.path() / "running");
  auto mark = [&](const std::string& name, const std::string& mark_owner) {
    std::ofstream(cache_.path() / "running" / (*sha + "." + name)) << mark_owner << "\n" << "run-" << name << "\n";
  };
  mark("1.0", owner);                          // a run of this live process: not a crash
  mark("2.0", "another-boot/4194305/1");       // before a reboot: dropped, not counted
  mark("3.0", boot + "/4194305/1");            // a process that died: one crash
  EXPECT_TRUE(Load(file).ok());
  mark("4.0", boot + "/4194305/2");
  EXPECT_TRUE(Load(file).ok()) << "two run crashes are not enough";
  mark("5.0", boot + "/4194305/3");
  auto loaded = Load(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("its runs killed the process: 3 of its runs"), std::string::npos)
      << loaded.status().message();
  EXPECT_NE(loaded.status().message().find("run-5.0"), std::string::npos) << loaded.status().message();
  EXPECT_TRUE(fs::exists(cache_.path() / "running" / (*sha + ".1.0"))) << "a live run's mark is left alone";
  EXPECT_FALSE(fs::exists(cache_.path() / "running" / (*sha + ".2.0")));
  EXPECT_FALSE(Load(file).ok()) << "it stays rejected";
}

}  // namespace
}  // namespace stratrun
