// The one back-off of the runtime: the pause before retry `n` (1, 2, ...)
// starts at `first` and doubles up to `cap`. Routers re-route sends with it,
// the singleton manager restarts crashed singletons with it, cluster cron
// retries storing a tick with it.
#pragma once

#include "caf/timespan.hpp"

namespace caf_cluster::detail {

/// Returns `first * 2^(n - 1)`, at most `cap` (`first` for `n < 1`).
inline caf::timespan backoff(caf::timespan first, int n, caf::timespan cap) {
  auto result = first;
  for (int i = 1; i < n && result < cap; ++i)
    result *= 2;
  return result < cap ? result : cap;
}

} // namespace caf_cluster::detail
