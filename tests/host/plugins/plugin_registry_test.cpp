// PluginRegistry scans real folders: bundled plugins load, every broken fixture is
// rejected with a reason, duplicates are refused, and rescans see new files.
#include "plugins/plugin_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using testing::kBrokenPluginDir;
using testing::kBundledPluginDir;
using testing::kGoodPluginDir;
using testing::TempDir;

std::string ReasonFor(const PluginCatalog& catalog, const std::string& file_name) {
  for (const auto& r : catalog.rejected) {
    if (r.file.filename() == file_name) return r.reason;
  }
  return "";
}

TEST(PluginRegistryTest, ScansBundledAndBrokenFoldersAndRejectsEveryBrokenFile) {
  TempDir cache;
  PluginRegistry registry({.plugin_dirs = {kBundledPluginDir, kGoodPluginDir, kBrokenPluginDir}, .cache_dir = cache.path()});
  auto catalog = registry.Rescan();

  ASSERT_NE(catalog->Find("sma_trend"), nullptr);
  ASSERT_NE(catalog->Find("c_minimal"), nullptr);
  EXPECT_EQ(catalog->Find("broken_fixture"), nullptr);
  EXPECT_TRUE(std::is_sorted(catalog->plugins.begin(), catalog->plugins.end(),
                             [](const auto& a, const auto& b) { return a->code() < b->code(); }));

  size_t broken_files = 0;
  for (const auto& entry : fs::directory_iterator(kBrokenPluginDir)) {
    if (entry.path().extension() != ".so") continue;
    ++broken_files;
    EXPECT_FALSE(ReasonFor(*catalog, entry.path().filename()).empty()) << entry.path() << " was not rejected";
  }
  EXPECT_EQ(broken_files, 11u);
  EXPECT_EQ(catalog->rejected.size(), broken_files);
  const std::string duplicate = ReasonFor(*catalog, "duplicate_code.so");
  EXPECT_NE(duplicate.find("duplicate strategy code 'sma_trend'"), std::string::npos) << duplicate;
  EXPECT_NE(duplicate.find("sma_trend.so"), std::string::npos) << duplicate;
}

TEST(PluginRegistryTest, AMissingFolderIsReportedAndTheScanGoesOn) {
  TempDir cache;
  PluginRegistry registry({.plugin_dirs = {"/nonexistent/stratrun-plugins", kGoodPluginDir}, .cache_dir = cache.path()});
  auto catalog = registry.Rescan();
  EXPECT_NE(catalog->Find("c_minimal"), nullptr);
  ASSERT_EQ(catalog->rejected.size(), 1u);
  EXPECT_EQ(catalog->rejected[0].file, "/nonexistent/stratrun-plugins");
}

TEST(PluginRegistryTest, ARescanSeesAddedAndRemovedFilesAndKeepsOldSnapshotsValid) {
  TempDir cache, dir;
  PluginRegistry registry({.plugin_dirs = {dir.path()}, .cache_dir = cache.path()});
  EXPECT_TRUE(registry.catalog()->plugins.empty());
  EXPECT_TRUE(registry.Rescan()->plugins.empty());

  fs::copy_file(kGoodPluginDir / "c_minimal.so", dir.path() / "c_minimal.so");
  auto with_plugin = registry.Rescan();
  ASSERT_NE(with_plugin->Find("c_minimal"), nullptr);
  EXPECT_EQ(registry.catalog(), with_plugin);

  fs::remove(dir.path() / "c_minimal.so");
  auto without = registry.Rescan();
  EXPECT_EQ(without->Find("c_minimal"), nullptr);
  EXPECT_NE(with_plugin->Find("c_minimal"), nullptr);  // the old snapshot still holds it
}

TEST(PluginRegistryTest, IgnoresFilesThatAreNotSharedLibraries) {
  TempDir cache, dir;
  std::ofstream(dir.path() / "README.txt") << "notes";
  fs::copy_file(kGoodPluginDir / "c_minimal.so", dir.path() / "c_minimal.so");
  PluginRegistry registry({.plugin_dirs = {dir.path()}, .cache_dir = cache.path()});
  auto catalog = registry.Rescan();
  EXPECT_EQ(catalog->plugins.size(), 1u);
  EXPECT_TRUE(catalog->rejected.empty());
}

}  // namespace
}  // namespace stratrun
