#include "caf_cluster/storage/error_text.hpp"

#include "caf/message.hpp"

namespace caf_cluster::storage {

std::string render_error(std::string_view category, std::string_view code_name,
                         const caf::message& context) {
  std::string result{category};
  result += ": ";
  result += code_name;
  if (!context.empty()) {
    result += " (";
    for (size_t i = 0; i < context.size(); ++i) {
      if (i > 0)
        result += ", ";
      if (context.match_element<std::string>(i))
        result += context.get_as<std::string>(i);
      else
        result += context.cvals()->stringify(i);
    }
    result += ")";
  }
  return result;
}

namespace {

std::string escaped(std::string_view text, bool escape_quotes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string result;
  result.reserve(text.size());
  for (char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte == 0x7F) {
      result += "\\x";
      result += hex[byte >> 4];
      result += hex[byte & 0x0F];
    } else {
      if (escape_quotes && (ch == '"' || ch == '\\'))
        result += '\\';
      result += ch;
    }
  }
  return result;
}

} // namespace

std::string printable(std::string_view text) {
  return escaped(text, false);
}

std::string quoted(std::string_view text) {
  return '"' + escaped(text, true) + '"';
}

} // namespace caf_cluster::storage
