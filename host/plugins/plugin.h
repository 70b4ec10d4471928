// Plugin: one loaded strategy library — its descriptor, copied out of the library and
// validated, and the library handle that keeps its code mapped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "plugins/parameter_schema.h"
#include "stratrun/plugin.h"

namespace stratrun {

/// An ABI version as major.minor.
struct AbiVersion {
  uint32_t major = STRATRUN_ABI_MAJOR;
  uint32_t minor = STRATRUN_ABI_MINOR;
  std::string ToString() const { return std::to_string(major) + "." + std::to_string(minor); }
};

/// What a plugin says about itself, as plain data: how a descriptor read in a worker
/// process (isolation/) reaches the server, which never loads the library itself.
struct PluginDescription {
  std::string code, name, version, description;
  std::vector<std::string> stages;
  AbiVersion built_abi;
};

/// Immutable once loaded and shared (std::shared_ptr<const Plugin>) by everything that
/// runs it, so the library stays mapped while any run still uses it. Thread-safe.
class Plugin {
 public:
  Plugin(boost::dll::shared_library library, const stratrun_plugin& descriptor,
         ParameterSchema schema, std::filesystem::path file, std::string sha256,
         AbiVersion negotiated, std::filesystem::path cache_dir = {},
         std::filesystem::path library_file = {});
  /// A plugin described by a worker and not loaded here: run_hook() is null, and runs go
  /// to worker processes that load `library_file`.
  Plugin(PluginDescription description, ParameterSchema schema, std::filesystem::path file, std::string sha256,
         AbiVersion negotiated, std::filesystem::path library_file);

  const std::string& code() const { return code_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::string& description() const { return description_; }
  const ParameterSchema& schema() const { return schema_; }
  const std::vector<std::string>& stages() const { return stages_; }
  /// The ABI the plugin was built against, as it declared it.
  const AbiVersion& built_abi() const { return built_abi_; }
  /// The ABI both sides use: the host's major, the lower of the two minors.
  const AbiVersion& abi() const { return negotiated_abi_; }
  /// Where the plugin was found (not the private copy it was loaded from).
  const std::filesystem::path& file() const { return file_; }
  const std::string& sha256() const { return sha256_; }
  /// The plugin cache it was loaded through: where a run marks itself (RunGuard) so a run
  /// that kills the process counts against this file. Empty: no marks.
  const std::filesystem::path& cache_dir() const { return cache_dir_; }
  /// The file its code is loaded from: the private copy named by its SHA-256.
  const std::filesystem::path& library_file() const { return library_file_; }
  /// The plugin's run hook, valid while this object lives; null when the library is not
  /// loaded in this process (described by a worker).
  stratrun_plugin_run_fn run_hook() const { return run_; }

 private:
  boost::dll::shared_library library_;
  std::string code_, name_, version_, description_;
  ParameterSchema schema_;
  std::vector<std::string> stages_;
  AbiVersion built_abi_;
  AbiVersion negotiated_abi_;
  std::filesystem::path file_;
  std::string sha256_;
  std::filesystem::path cache_dir_;
  std::filesystem::path library_file_;
  stratrun_plugin_run_fn run_ = nullptr;
};

}  // namespace stratrun
