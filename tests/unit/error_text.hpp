// Test helper: turns a cluster error into "code: context" so one CHECK pins
// both the code and the message a user would read.
#pragma once

#include <string>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::testing {

/// Returns "invalid_argument: <context>" for a cluster error.
inline std::string describe(const caf::error& err) {
  if (err.category() != errc_category)
    return "foreign error category";
  std::string result = to_string(static_cast<errc>(err.code()));
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    result += ": " + ctx.get_as<std::string>(0);
  return result;
}

/// Returns `describe(x.error())`, or "no error".
template <class T>
std::string error_of(const caf::expected<T>& x) {
  return x ? std::string{"no error"} : describe(x.error());
}

} // namespace caf_cluster::testing
