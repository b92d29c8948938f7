#include "caf_cluster/storage/internal/string_list_codec.hpp"

#include <cstdint>

namespace caf_cluster::storage::internal {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Parses the string that starts at text[pos] (a quote) and leaves `pos`
// after its closing quote.
bool parse_string(std::string_view text, size_t& pos, std::string& out) {
  if (pos >= text.size() || text[pos] != '"')
    return false;
  for (++pos; pos < text.size(); ++pos) {
    auto c = text[pos];
    if (c == '"') {
      ++pos;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20)
      return false;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++pos >= text.size())
      return false;
    switch (text[pos]) {
      case '"':
      case '\\':
      case '/':
        out += text[pos];
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (text.size() - pos < 5)
          return false;
        uint32_t cp = 0;
        for (size_t i = 1; i <= 4; ++i) {
          auto digit = hex_value(text[pos + i]);
          if (digit < 0)
            return false;
          cp = cp * 16 + static_cast<uint32_t>(digit);
        }
        // We never write surrogate pairs; a lone surrogate is no character.
        if (cp >= 0xD800 && cp <= 0xDFFF)
          return false;
        append_utf8(out, cp);
        pos += 4;
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

} // namespace

std::string encode_string_list(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      out += ',';
    out += '"';
    for (auto c : xs[i]) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (byte < 0x20) {
        out += "\\u00";
        out += hex_digits[byte >> 4];
        out += hex_digits[byte & 0x0F];
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += ']';
  return out;
}

std::optional<std::vector<std::string>>
decode_string_list(std::string_view text) {
  std::vector<std::string> result;
  if (text.size() < 2 || text.front() != '[' || text.back() != ']')
    return std::nullopt;
  size_t pos = 1;
  if (text[pos] == ']')
    return pos + 1 == text.size() ? std::optional{result} : std::nullopt;
  for (;;) {
    std::string element;
    if (!parse_string(text, pos, element))
      return std::nullopt;
    result.push_back(std::move(element));
    if (pos >= text.size())
      return std::nullopt;
    if (text[pos] == ']')
      return pos + 1 == text.size() ? std::optional{result} : std::nullopt;
    if (text[pos++] != ',')
      return std::nullopt;
  }
}

} // namespace caf_cluster::storage::internal
