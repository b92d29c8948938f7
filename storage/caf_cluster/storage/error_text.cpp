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

} // namespace caf_cluster::storage
