// The wording of configuration errors, shared by the files that check
// options, so that every message names its option the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "caf/deep_to_string.hpp"
#include "caf/error.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::internal {

/// The group of the options of sharding_config (an INI section [cluster]).
constexpr std::string_view option_group = "cluster";

/// The full key of option `name` of the group: `cluster.<name>`.
inline std::string option_key(std::string_view name) {
  std::string result{option_group};
  result += '.';
  result.append(name.data(), name.size());
  return result;
}

/// The units of durations in options, with their length in nanoseconds.
inline constexpr std::pair<const char*, int64_t> duration_units[] = {
  {"ns", 1},
  {"us", 1'000},
  {"ms", 1'000'000},
  {"s", 1'000'000'000},
  {"min", 60'000'000'000},
  {"h", 3'600'000'000'000},
};

/// An `errc::invalid_config` error with `msg` as its only context.
inline caf::error invalid_config(std::string msg) {
  return caf::make_error(errc::invalid_config, std::move(msg));
}

/// The text of an error made by `make_error(code, "text")`, or the whole
/// error rendered when it has another shape.
inline std::string context_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return caf::to_string(err);
}

/// `str` in double quotes with escapes, as CAF prints strings.
inline std::string quoted(const std::string& str) {
  return caf::deep_to_string(str);
}

} // namespace caf_cluster::internal
