// The live counters of a runner as a whole (next to the per-type counters of
// its entity managers): storage commits, lease refreshes, membership, asks by
// entity type, and the counters that components built on the public API
// (cluster cron, workflows) register. Writers use relaxed atomics; the
// metrics snapshot reads them without a round trip to any actor.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caf/expected.hpp"

#include "caf_cluster/latency_histogram.hpp"
#include "caf_cluster/metrics.hpp"

namespace caf_cluster {

/// Counters of one runner that no entity manager owns; thread-safe.
class runner_counters {
public:
  /// Live runners at this runner's last read of runner storage.
  std::atomic<int64_t> live_runners{0};

  /// Shards acquired from a runner whose lease had expired (it died or
  /// stopped refreshing), as opposed to one it released.
  std::atomic<int64_t> failovers{0};

  /// Time of one lease refresh call against runner storage.
  latency_histogram lease_refresh_latency;

  /// Time of one storage writer commit (one `save_batch` transaction).
  latency_histogram commit_latency;

  /// Rows (requests and replies) per storage writer commit.
  count_histogram commit_batch_size;

  /// Returns the histogram of asks for `entity_type` made on this node,
  /// created on first use. The reference stays valid as long as `this`.
  latency_histogram& ask_latency(const std::string& entity_type);

  /// Returns the counter of `family` with `labels`, created at zero on
  /// first use; later calls for the same series return the same counter.
  /// @param family a Prometheus counter name ending in `_total`, not one of
  ///        the families `prometheus_exposition` writes itself.
  /// @param help the family's HELP text (the first call's wins).
  /// @param labels label names and values; `runner` and `le` are reserved.
  /// @returns `errc::invalid_argument` naming what is wrong.
  caf::expected<std::shared_ptr<std::atomic<int64_t>>>
  counter(const std::string& family, const std::string& help,
          metric_labels labels);

  /// Copies the ask histograms and the registered counters into `out`.
  void fill(metrics_snapshot& out) const;

private:
  struct series {
    std::string family;
    metric_labels labels;
    std::shared_ptr<std::atomic<int64_t>> value;
  };

  mutable std::mutex mtx_;
  std::map<std::string, std::unique_ptr<latency_histogram>> asks_;
  std::map<std::string, std::string> help_; // by family
  std::vector<series> series_;
};

} // namespace caf_cluster
