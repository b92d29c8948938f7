// What the in-process and the remote workloads share: entity ids, the sender
// of cluster asks, the sequential and concurrent measurements on top of
// `drive`, and the checks that every request succeeded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/error.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/entity_client.hpp"

#include "counter.hpp"
#include "driver.hpp"
#include "options.hpp"

namespace bench {

/// Entity ids, shared by the driver actors.
using id_list = std::shared_ptr<const std::vector<std::string>>;

/// Returns `prefix0`, `prefix1`, ... (`n` ids).
id_list make_ids(const char* prefix, int64_t n);

/// Exits the program unless `r` has `expected` replies and no error: a run
/// whose requests failed measures something else.
void require_ok(const driver_result& r, int64_t expected, const char* what);

/// Returns the nearest-rank percentile `p` of `xs` (nanoseconds) in µs.
double percentile_us(std::vector<int64_t>& xs, double p);

/// Returns `cluster.send-timeout` of `sys`'s configuration.
caf::timespan send_timeout(caf::actor_system& sys);

/// Sends request i to entity `ids[i % ids.size()]` through the entity client,
/// with the client's default timeout (`cluster.send-timeout`).
struct cluster_send {
  /// The client of the counter entity.
  caf_cluster::entity_client<counter_actor> client;
  /// The entities, by request index modulo their count.
  id_list ids;

  template <class Self, class Done>
  void operator()(Self* self, int64_t i, Done done) const {
    auto& id = (*ids)[static_cast<size_t>(i) % ids->size()];
    client.request(self, id, add{1})
      .then([done](int64_t) { done(caf::error{}); },
            [done](caf::error& err) { done(err); });
  }
};

/// Sequential asks through `send`, one in flight: `warmup` unmeasured ones,
/// then `requests` measured. Returns msg/s, p50 and p99 latency in µs.
template <class Send>
std::vector<double> measure_sequential(caf::actor_system& sys, const Send& send,
                                       int64_t warmup, int64_t requests) {
  require_ok(drive(sys, send, warmup, 1, 1), warmup, "sequential warm-up");
  auto r = drive(sys, send, requests, 1, 1, true);
  require_ok(r, requests, "sequential");
  return {static_cast<double>(r.completed) / r.seconds,
          percentile_us(r.latencies_ns, 0.50),
          percentile_us(r.latencies_ns, 0.99)};
}

/// Concurrent asks through `send` over `n.concurrent_entities` entities with
/// `n.window` in flight from `n.drivers` drivers: a warm-up that activates
/// every entity (one ask each plus `n.concurrent_warmup`), so only
/// steady-state asks count, then `n.concurrent_requests` measured. Returns
/// msg/s.
template <class Send>
std::vector<double> measure_concurrent(caf::actor_system& sys, const Send& send,
                                       const workload_sizes& n) {
  auto warmup = n.concurrent_entities + n.concurrent_warmup;
  require_ok(drive(sys, send, warmup, n.window, n.drivers), warmup,
             "concurrent warm-up");
  auto r = drive(sys, send, n.concurrent_requests, n.window, n.drivers);
  require_ok(r, n.concurrent_requests, "concurrent");
  return {static_cast<double>(r.completed) / r.seconds};
}

} // namespace bench
