#include "caf_cluster/workflow/status.hpp"

#include "caf_cluster/workflow/journal.hpp"

namespace caf_cluster::workflow {

namespace {

constexpr const char* status_names[] = {"unknown",  "running", "suspended",
                                        "complete", "failed",  "interrupted"};

constexpr const char* kind_names[] = {"activity", "sleep", "deferred",
                                      "child",    "patch", "compensation"};

} // namespace

std::string to_string(execution_status x) {
  auto i = static_cast<size_t>(x);
  return i < std::size(status_names) ? status_names[i] : "invalid";
}

std::optional<execution_status> parse_execution_status(const std::string& x) {
  for (size_t i = 0; i < std::size(status_names); ++i)
    if (x == status_names[i])
      return static_cast<execution_status>(i);
  return std::nullopt;
}

std::string to_string(step_kind x) {
  auto i = static_cast<size_t>(x);
  return i < std::size(kind_names) ? kind_names[i] : "invalid";
}

} // namespace caf_cluster::workflow
