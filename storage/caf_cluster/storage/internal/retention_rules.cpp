#include "caf_cluster/storage/internal/retention_rules.hpp"

#include <algorithm>
#include <limits>

#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster::storage::internal {

int64_t expiry_cutoff(int64_t now_ms, int64_t retention_ms) noexcept {
  return now_ms < std::numeric_limits<int64_t>::min() + retention_ms
    ? std::numeric_limits<int64_t>::min()
    : now_ms - retention_ms;
}

retention_table::retention_table(int64_t now_ms, int64_t default_retention_ms,
                                 const std::vector<retention_rule>& rules)
  : now_ms_(now_ms), default_ms_(default_retention_ms) {
  for (const auto& rule : rules)
    rules_.emplace(rule.entity_type, rule.retention_ms);
  // The shortest retention in use; rules shadow the default only for their
  // types, so the default counts even when every type seen has a rule.
  auto shortest = std::numeric_limits<int64_t>::max();
  auto consider = [&](int64_t ms) {
    if (ms >= 0)
      shortest = std::min(shortest, ms);
  };
  consider(default_ms_);
  for (const auto& [type, ms] : rules_)
    consider(ms);
  if (shortest != std::numeric_limits<int64_t>::max())
    horizon_ = std::max(int64_t{0}, expiry_cutoff(now_ms_, shortest));
}

int64_t retention_table::retention_of(const std::string& entity_type) const {
  auto i = rules_.find(entity_type);
  return i != rules_.end() ? i->second : default_ms_;
}

bool retention_table::is_due(const std::string& entity_type,
                             int64_t processed_at_ms) const {
  auto ms = retention_of(entity_type);
  return ms >= 0 && processed_at_ms <= expiry_cutoff(now_ms_, ms);
}

caf::error check_expire(size_t limit) {
  if (limit == 0)
    return caf::make_error(errc::invalid_argument,
                           std::string{"expiring processed requests needs a "
                                       "limit of at least 1"});
  return {};
}

} // namespace caf_cluster::storage::internal
