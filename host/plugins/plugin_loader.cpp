#include "plugins/plugin_loader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <system_error>
#include <dlfcn.h>
#include <unistd.h>

#include "common/logging.h"
#include "common/sha256.h"
#include "common/utf8.h"
#include "plugins/load_guard.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;

Status Rejected(std::string reason) { return {StatusCode::kInvalidArgument, std::move(reason)}; }

bool HasElfMagic(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::array<char, 4> magic{};
  in.read(magic.data(), magic.size());
  return in.gcount() == 4 && std::memcmp(magic.data(), "\x7f" "ELF", 4) == 0;
}

/// Copies `file` to `<cache_dir>/<sha256>.so` unless that copy exists already. The copy
/// is written under a temporary name and renamed, so a reader never sees half a file.
Result<fs::path> PrivateCopy(const fs::path& file, const std::string& sha256,
                             const fs::path& cache_dir) {
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) return Internal("cannot create plugin cache " + cache_dir.string() + ": " + ec.message());
  const fs::path target = cache_dir / (sha256 + ".so");
  if (fs::exists(target, ec)) return target;
  const fs::path temp = cache_dir / (sha256 + ".so.tmp" + std::to_string(::getpid()));
  fs::copy_file(file, temp, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    return Internal("cannot copy to plugin cache " + cache_dir.string() + ": " + ec.message());
  }
  return target;
}

bool IsValidCode(const char* code) {
  const size_t length = std::strlen(code);
  if (length == 0 || length > 64) return false;
  return std::all_of(code, code + length, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

/// The size of a 1.0 descriptor: every field up to and including `run`.
constexpr size_t kMinDescriptorSize = offsetof(stratrun_plugin, run) + sizeof(stratrun_plugin_run_fn);

/// Checks the descriptor's strings and hook; returns the reason it is unusable, or "".
std::string DescriptorProblem(const stratrun_plugin& d) {
  if (d.code == nullptr || !IsValidCode(d.code)) {
    return "strategy code must match [a-z0-9_]{1,64}";
  }
  if (d.name == nullptr || *d.name == '\0') return "descriptor has no name";
  if (d.version == nullptr || *d.version == '\0') return "descriptor has no version";
  if (d.parameters_schema_json == nullptr) return "descriptor has no parameter schema";
  if (d.stage_count > 64) return "descriptor declares more than 64 stages";
  if (d.stage_count > 0 && d.stages == nullptr) return "descriptor stage list is null";
  for (size_t i = 0; i < d.stage_count; ++i) {
    if (d.stages[i] == nullptr || *d.stages[i] == '\0') return "descriptor has an empty stage name";
  }
  if (d.run == nullptr) return "descriptor has no run function";
  return {};
}

}  // namespace

Plugin::Plugin(boost::dll::shared_library library, const stratrun_plugin& d,
               ParameterSchema schema, fs::path file, std::string sha256, AbiVersion negotiated,
               fs::path cache_dir, fs::path library_file)
    : library_(std::move(library)),
      code_(d.code),
      name_(SanitizeUtf8(d.name)),
      version_(SanitizeUtf8(d.version)),
      description_(SanitizeUtf8(d.description)),
      schema_(std::move(schema)),
      built_abi_{d.abi_major, d.abi_minor},
      negotiated_abi_(negotiated),
      file_(std::move(file)),
      sha256_(std::move(sha256)),
      cache_dir_(std::move(cache_dir)),
      library_file_(std::move(library_file)),
      run_(d.run) {
  for (size_t i = 0; i < d.stage_count; ++i) stages_.emplace_back(SanitizeUtf8(d.stages[i]));
}

Plugin::Plugin(PluginDescription d, ParameterSchema schema, fs::path file, std::string sha256, AbiVersion negotiated,
               fs::path library_file)
    : code_(std::move(d.code)),
      name_(std::move(d.name)),
      version_(std::move(d.version)),
      description_(std::move(d.description)),
      schema_(std::move(schema)),
      stages_(std::move(d.stages)),
      built_abi_(d.built_abi),
      negotiated_abi_(negotiated),
      file_(std::move(file)),
      sha256_(std::move(sha256)),
      library_file_(std::move(library_file)) {}

Result<PluginFile> PreparePluginFile(const fs::path& file, const fs::path& cache_dir) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return Rejected("not a regular file");
  if (!HasElfMagic(file)) return Rejected("not an ELF shared library");
  auto sha256 = Sha256OfFile(file);
  if (!sha256) return Rejected(sha256.status().message());
  auto copy = PrivateCopy(file, *sha256, cache_dir);
  if (!copy) return Rejected(copy.status().message());
  return PluginFile{file, std::move(*sha256), std::move(*copy)};
}

Result<std::shared_ptr<const Plugin>> LoadPlugin(const fs::path& file, const LoaderOptions& options) {
  auto prepared = PreparePluginFile(file, options.cache_dir);
  if (!prepared) return prepared.status();
  if (auto crashed = LoadGuard::CrashReason(options.cache_dir, prepared->sha256)) return Rejected(*crashed);
  // Marked while the plugin's own code runs (static constructors at load, the entry point)
  // and its descriptor is read.
  LoadGuard guard(options.cache_dir, prepared->sha256);
  return OpenPluginLibrary(*prepared, options);
}

Result<std::shared_ptr<const Plugin>> OpenPluginLibrary(const PluginFile& prepared, const LoaderOptions& options) {
  const fs::path& file = prepared.file;
  const fs::path* copy = &prepared.library_file;
  boost::dll::shared_library library;
  try {
    library.load(copy->string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    // Boost's message carries dlerror()'s text; its errno part is stale (see notes).
    return Rejected(std::string("cannot load: ") + e.what());
  }
  if (!library.has(STRATRUN_ENTRY_SYMBOL)) {
    return Rejected("no entry point '" STRATRUN_ENTRY_SYMBOL "' (export it with STRATRUN_EXPORT_STRATEGY)");
  }

  const stratrun_plugin* raw = nullptr;
  const char* message = nullptr;
  stratrun_status status = STRATRUN_INTERNAL;
  try {
    auto& entry = library.get<std::remove_pointer_t<stratrun_plugin_entry_fn>>(STRATRUN_ENTRY_SYMBOL);
    status = entry(options.host_abi.major, options.host_abi.minor, &raw, &message);
  } catch (const std::exception& e) {
    return Rejected(std::string("entry point threw an exception: ") + e.what());
  } catch (...) {
    return Rejected("entry point threw an exception");
  }
  const std::string entry_message = SanitizeUtf8(message);
  if (status == STRATRUN_UNSUPPORTED) {
    return Rejected("plugin does not support host ABI " + options.host_abi.ToString() +
                    (entry_message.empty() ? "" : ": " + entry_message));
  }
  if (status != STRATRUN_OK) {
    return Rejected("entry point failed with status " + std::to_string(status) +
                    (entry_message.empty() ? "" : ": " + entry_message));
  }
  if (raw == nullptr) return Rejected("entry point returned no descriptor");
  if (raw->struct_size < kMinDescriptorSize) {
    return Rejected("descriptor is " + std::to_string(raw->struct_size) + " bytes; ABI 1.0 needs at least " +
                    std::to_string(kMinDescriptorSize));
  }
  // Check first, then copy only what both sides know into a zeroed local.
  stratrun_plugin descriptor{};
  std::memcpy(&descriptor, raw, std::min<size_t>(raw->struct_size, sizeof descriptor));

  const AbiVersion built{descriptor.abi_major, descriptor.abi_minor};
  if (built.major != options.host_abi.major) {
    return Rejected("plugin ABI " + built.ToString() + " is not supported by host ABI " +
                    options.host_abi.ToString() + " (major versions differ)");
  }
  if (std::string problem = DescriptorProblem(descriptor); !problem.empty()) return Rejected(problem);

  // Every string the plugin hands over is made valid UTF-8 once, here (U+FFFD for what is
  // not), so the JSON, SSE and CSV made from it are valid.
  auto schema = ParameterSchema::Parse(SanitizeUtf8(descriptor.parameters_schema_json));
  if (!schema) return Rejected("invalid parameter schema: " + schema.status().message());

  // Accepted: its code stays mapped until the process exits, even once nothing holds the
  // Plugin (RTLD_NODELETE, added by reopening the loaded object). A thread the plugin left
  // running after its run (refused by the host from then on) must never execute unmapped
  // code — at shutdown, or after a rescan dropped this version.
  if (void* pinned = dlopen(copy->c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE); pinned != nullptr) dlclose(pinned);

  const AbiVersion negotiated{options.host_abi.major, std::min(built.minor, options.host_abi.minor)};
  auto plugin = std::make_shared<const Plugin>(std::move(library), descriptor, std::move(*schema), file,
                                               prepared.sha256, negotiated, options.cache_dir, *copy);
  Logger("plugins")->debug("loaded {} {} from {} (ABI {})", plugin->code(), plugin->version(),
                           file.string(), negotiated.ToString());
  return plugin;
}

}  // namespace stratrun
