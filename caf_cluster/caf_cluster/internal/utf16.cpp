#include "caf_cluster/internal/utf16.hpp"

#include <cstdint>
#include <cstdio>

#include "caf_cluster/errc.hpp"

namespace caf_cluster::internal {

namespace {

std::string hex_byte(unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02X", byte);
  return buf;
}

std::string code_point_name(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

caf::error invalid_utf8(size_t offset, const std::string& what) {
  return caf::make_error(errc::invalid_argument,
                         "invalid UTF-8 at byte offset "
                           + std::to_string(offset) + ": " + what);
}

} // namespace

caf::expected<std::u16string> utf8_to_utf16(std::string_view text) {
  std::u16string result;
  result.reserve(text.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t pos = 0;
  while (pos < size) {
    const unsigned char lead = bytes[pos];
    if (lead < 0x80) {
      result.push_back(static_cast<char16_t>(lead));
      ++pos;
      continue;
    }
    size_t length;
    char32_t cp;
    char32_t min_cp; // smaller values would be overlong forms
    if (lead < 0xC0) {
      return invalid_utf8(pos, "stray continuation byte " + hex_byte(lead));
    } else if (lead < 0xE0) {
      length = 2;
      cp = lead & 0x1Fu;
      min_cp = 0x80;
    } else if (lead < 0xF0) {
      length = 3;
      cp = lead & 0x0Fu;
      min_cp = 0x800;
    } else if (lead < 0xF8) {
      length = 4;
      cp = lead & 0x07u;
      min_cp = 0x10000;
    } else {
      return invalid_utf8(pos,
                          "byte " + hex_byte(lead) + " never occurs in UTF-8");
    }
    if (size - pos < length)
      return invalid_utf8(pos,
                          std::to_string(length)
                            + "-byte sequence truncated by the end of "
                              "the input");
    for (size_t i = 1; i < length; ++i) {
      const unsigned char next = bytes[pos + i];
      if ((next & 0xC0u) != 0x80u)
        return invalid_utf8(
          pos,
          std::to_string(length) + "-byte sequence truncated: byte "
            + hex_byte(next) + " at byte offset " + std::to_string(pos + i)
            + " is not a continuation byte");
      cp = (cp << 6) | (next & 0x3Fu);
    }
    if (cp < min_cp)
      return invalid_utf8(pos,
                          "overlong " + std::to_string(length)
                            + "-byte encoding of " + code_point_name(cp));
    if (cp >= 0xD800 && cp <= 0xDFFF)
      return invalid_utf8(pos, "encoded surrogate " + code_point_name(cp));
    if (cp > 0x10FFFF)
      return invalid_utf8(
        pos, "code point " + code_point_name(cp) + " is above U+10FFFF");
    if (cp < 0x10000) {
      result.push_back(static_cast<char16_t>(cp));
    } else {
      const char32_t v = cp - 0x10000;
      result.push_back(static_cast<char16_t>(0xD800 + (v >> 10)));
      result.push_back(static_cast<char16_t>(0xDC00 + (v & 0x3FFu)));
    }
    pos += length;
  }
  return result;
}

} // namespace caf_cluster::internal
