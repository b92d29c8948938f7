// How often an activity is attempted and how long the execution sleeps
// between attempts. Each attempt is journaled on its own, so a completed
// attempt is never repeated and the attempt number is stable across replays.
#pragma once

#include <chrono>
#include <cstdint>

#include "caf/timespan.hpp"

namespace caf_cluster::workflow {

/// Retry policy of an activity. Attempt `k` (1-based) is journaled as
/// activity `"<name>/<k>"`; a delay > 0 before attempt `k + 1` is a durable
/// sleep named `"<name>/retry-<k>"`.
struct retry_policy {
  /// Attempts in all (at least 1).
  int32_t max_attempts = 1;

  /// Sleep before the second attempt; 0 retries at once.
  caf::timespan delay{0};

  /// Factor applied to the delay after each further attempt.
  double backoff = 2.0;

  /// Upper bound of the delay.
  caf::timespan max_delay = std::chrono::minutes{1};
};

} // namespace caf_cluster::workflow
