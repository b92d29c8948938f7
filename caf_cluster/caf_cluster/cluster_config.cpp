#include "caf_cluster/cluster_config.hpp"

#include <algorithm>
#include <thread>

#include "caf/atom.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster {

size_t default_worker_count() {
  return std::max(1u, std::thread::hardware_concurrency() / 2);
}

cluster_config::cluster_config() {
  declare_options(*this);
  // Qualified: the inherited member add_error_category hides the free ones.
  caf_cluster::add_error_category(*this);
  caf_cluster::storage::add_error_category(*this);
  // Set as content rather than hard-wired, so INI files and flags still win.
  set("scheduler.policy", caf::atom("sharing"));
  set("middleman.workers", 0);
  // CAF 0.17 starts max(4, cores) workers. Entity traffic is chains of short
  // hops (client, manager, entity), and every hop to a sleeping worker costs a
  // futex wake-up: on 2 cores one worker gave 6x the sequential and 3.7x the
  // concurrent throughput of two (README, Benchmarks), so half the cores.
  set("scheduler.max-threads", default_worker_count());
}

caf::expected<sharding_config> cluster_config::sharding() const {
  return read_sharding_config(*this);
}

} // namespace caf_cluster
