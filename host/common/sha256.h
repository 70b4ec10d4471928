// SHA-256 of a file, as lower-case hex: the identity of a plugin build.
#pragma once

#include <filesystem>
#include <string>

#include "common/status.h"

namespace stratrun {

/// Hashes the whole file. NotFound if it cannot be opened, Internal on a read error.
Result<std::string> Sha256OfFile(const std::filesystem::path& path);

}  // namespace stratrun
