// The retention decisions every message_driver backend makes the same way
// (`message_driver::expire_processed`): which retention a request's entity
// type has, when a processed request is due, and how far back a backend must
// look at all. Backends differ only in where the rows live.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::storage::internal {

/// The retention of every entity type at one call of `expire_processed`.
class retention_table {
public:
  /// Takes the call's arguments; of several rules for one entity type the
  /// first counts.
  retention_table(int64_t now_ms, int64_t default_retention_ms,
                  const std::vector<retention_rule>& rules);

  /// Returns the retention of `entity_type` in milliseconds, negative for
  /// ever.
  int64_t retention_of(const std::string& entity_type) const;

  /// Returns whether a request of `entity_type` processed at
  /// `processed_at_ms` (not 0) is due for deletion now.
  bool is_due(const std::string& entity_type, int64_t processed_at_ms) const;

  /// Returns the latest processing time that may be due for any entity type
  /// (`now - shortest retention`), and 0 when every retention is negative so
  /// that only unstamped requests (time 0) are looked at. Rows processed
  /// after it need not be read.
  int64_t horizon() const noexcept {
    return horizon_;
  }

  /// Returns the rules as given, first one per entity type.
  const std::map<std::string, int64_t>& rules() const noexcept {
    return rules_;
  }

private:
  int64_t now_ms_;
  int64_t default_ms_;
  std::map<std::string, int64_t> rules_;
  int64_t horizon_ = 0;
};

/// Returns `now_ms - retention_ms` without overflow (the latest processing
/// time that is due).
/// @pre `retention_ms >= 0`
int64_t expiry_cutoff(int64_t now_ms, int64_t retention_ms) noexcept;

/// Checks the arguments of `expire_processed`.
/// @returns an `errc::invalid_argument` error, or a default error if valid.
caf::error check_expire(size_t limit);

} // namespace caf_cluster::storage::internal
