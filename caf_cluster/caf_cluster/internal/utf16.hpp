// Strict UTF-8 to UTF-16 conversion. Effect hashes entity ids as JavaScript
// strings (UTF-16 code units), so we need the same units in C++; a lenient
// decoder would map two different byte strings to one shard, hence "strict".
#pragma once

#include <string>
#include <string_view>

#include "caf/expected.hpp"

namespace caf_cluster::internal {

/// Converts well-formed UTF-8 into UTF-16, turning code points above U+FFFF
/// into surrogate pairs.
/// @returns the UTF-16 code units, or `errc::invalid_argument` when `text` has
///          an overlong form, an encoded surrogate (U+D800..U+DFFF), a code
///          point above U+10FFFF, a truncated sequence, a stray continuation
///          byte or a byte that never occurs in UTF-8; the error context names
///          the byte offset.
caf::expected<std::u16string> utf8_to_utf16(std::string_view text);

} // namespace caf_cluster::internal
