#include "caf_cluster/workflow/deferred.hpp"

#include <vector>

#include "caf_cluster/errc.hpp"

namespace caf_cluster::workflow {

namespace {

std::string escape(const std::string& x) {
  std::string result;
  for (auto c : x) {
    if (c == '%')
      result += "%25";
    else if (c == '/')
      result += "%2F";
    else
      result += c;
  }
  return result;
}

caf::expected<std::string> unescape(std::string_view x) {
  std::string result;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] != '%') {
      result += x[i];
      continue;
    }
    auto code = x.substr(i + 1, 2);
    if (code == "25")
      result += '%';
    else if (code == "2F" || code == "2f")
      result += '/';
    else
      return caf::make_error(errc::invalid_argument,
                             "bad escape in a deferred token");
    i += 2;
  }
  return result;
}

} // namespace

std::string deferred_token::to_string() const {
  return escape(workflow) + "/" + escape(execution_id) + "/" + escape(deferred)
    + "/" + escape(shard_group);
}

caf::expected<deferred_token> deferred_token::parse(std::string_view text) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    auto next = text.find('/', pos);
    auto part = unescape(text.substr(
      pos,
      next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (!part)
      return std::move(part.error());
    parts.push_back(std::move(*part));
    if (next == std::string_view::npos)
      break;
    pos = next + 1;
  }
  if (parts.size() != 4 || parts[0].empty() || parts[1].empty()
      || parts[2].empty())
    return caf::make_error(errc::invalid_argument,
                           "a deferred token has four fields: "
                           "workflow/execution/deferred/group");
  return deferred_token{std::move(parts[0]), std::move(parts[1]),
                        std::move(parts[2]), std::move(parts[3])};
}

} // namespace caf_cluster::workflow
