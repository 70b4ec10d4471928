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
#include <string>

#include "common/status.h"
#include "plugins/plugin.h"

namespace stratrun {

struct LoaderOptions {
  /// Where private copies of plugin files go; created if missing.
  std::filesystem::path cache_dir;
  /// The ABI version this host speaks (tests pretend to be other hosts).
  AbiVersion host_abi;
};

/// A candidate plugin file: where it was found, its SHA-256, and its private copy.
struct PluginFile {
  std::filesystem::path file;
  std::string sha256;
  std::filesystem::path library_file;  // <cache_dir>/<sha256>.so
};

/// Checks that `file` is a regular ELF file, hashes it and makes its private copy in
/// `cache_dir`; runs no plugin code. On failure the Status message is the reason.
Result<PluginFile> PreparePluginFile(const std::filesystem::path& file, const std::filesystem::path& cache_dir);

/// Loads the private copy of `prepared` in this process and checks its descriptor, with no
/// crash marks (plugins/load_guard.h): what a worker process does, whose crash the server
/// sees as the worker's end. Errors as LoadPlugin's. Thread-safe.
Result<std::shared_ptr<const Plugin>> OpenPluginLibrary(const PluginFile& prepared, const LoaderOptions& options);

/// Loads `file` in this process: PreparePluginFile, then OpenPluginLibrary under a
/// LoadGuard (a file whose load killed a process before is refused). On failure the Status message is the reason a user sees, e.g.
/// "not an ELF shared library" or "plugin ABI 2.0 is not supported by host ABI 1.0".
/// Thread-safe.
Result<std::shared_ptr<const Plugin>> LoadPlugin(const std::filesystem::path& file,
                                                 const LoaderOptions& options);

}  // namespace stratrun
