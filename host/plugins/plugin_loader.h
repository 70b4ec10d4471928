// LoadPlugin: turns one file into a Plugin, or into the reason it cannot be one.
//
// The file is hashed and loaded from a private copy named by its SHA-256 (so replacing
// or deleting the original while the host runs is safe), with RTLD_NOW | RTLD_LOCAL.
// Everything the plugin says about itself is checked before it is trusted: ABI major,
// struct sizes, strings, code syntax, parameter schema. Any exception the entry point
// throws is caught. Nothing a plugin file does at load can make this function throw.
#pragma once

#include <filesystem>
#include <memory>

#include "common/status.h"
#include "plugins/plugin.h"

namespace stratrun {

struct LoaderOptions {
  /// Where private copies of plugin files go; created if missing.
  std::filesystem::path cache_dir;
  /// The ABI version this host speaks (tests pretend to be other hosts).
  AbiVersion host_abi;
};

/// Loads `file`. On failure the Status message is the reason a user sees, e.g.
/// "not an ELF shared library" or "plugin ABI 2.0 is not supported by host ABI 1.0".
/// Thread-safe.
Result<std::shared_ptr<const Plugin>> LoadPlugin(const std::filesystem::path& file,
                                                 const LoaderOptions& options);

}  // namespace stratrun
