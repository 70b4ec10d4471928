// SHA-256 as lower-case hex: of a file (the identity of a plugin build) or of a text (a
// stable name for a path).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stratrun {

/// Hashes the whole file. NotFound if it cannot be opened, Internal on a read error.
Result<std::string> Sha256OfFile(const std::filesystem::path& path);

/// The 64 hex digits of SHA-256 of `bytes`. Thread-safe.
std::string Sha256Hex(std::string_view bytes);

}  // namespace stratrun
