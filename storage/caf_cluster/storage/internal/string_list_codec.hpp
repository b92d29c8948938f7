// A list of strings as one SQL text column: a JSON array of strings, so that
// `sqlite3` and its JSON functions read it too, and so that every string
// (separators, quotes, control bytes) survives the round trip.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace caf_cluster::storage::internal {

/// Returns `xs` as a JSON array of strings, e.g. `["default","eu"]`. Bytes
/// below 0x20, `"` and `\` are escaped; other bytes are copied as they are.
std::string encode_string_list(const std::vector<std::string>& xs);

/// Parses a JSON array of strings as written by `encode_string_list` (and
/// the other escapes of JSON), without whitespace between tokens.
/// @returns the strings, or `std::nullopt` if `text` is not such an array.
std::optional<std::vector<std::string>>
decode_string_list(std::string_view text);

} // namespace caf_cluster::storage::internal
