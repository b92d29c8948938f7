// The actor system configuration of a caf-cluster process: it declares the
// `cluster.*` options, registers our error categories and picks scheduler
// defaults measured to suit a latency-sensitive runtime on few cores.
// Applications add their entities' message types to it (`add_entity`).
#pragma once

#include "caf/actor_system_config.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/entity_types.hpp"
#include "caf_cluster/sharding_config.hpp"

namespace caf_cluster {

/// Returns the number of scheduler workers `cluster_config` starts by
/// default: half the hardware threads, at least one.
size_t default_worker_count();

// Keeps the markdown table rows on one line each.
// clang-format off
/// Base configuration for processes that run or talk to a cluster.
///
/// Defaults it sets (each overridable in the INI file or on the command line):
///
/// | option | value | why |
/// | --- | --- | --- |
/// | `scheduler.policy` | `sharing` | CAF's work stealing sleeps between polls; sharing cut round trips about 3x in our measurements |
/// | `scheduler.max-threads` | half the cores, at least 1 | CAF's default max(4, cores) pays a futex wake-up on most hops; on 2 cores 1 worker gave 6x the sequential throughput of 2 |
/// | `middleman.workers` | `0` | deserialize in the multiplexer thread, saving a thread hop per remote message (measured together with `sharing`) |
///
/// ~~~
/// struct my_config : caf_cluster::cluster_config {
///   my_config() { add_entity(bank::account); }
/// };
/// ~~~
// clang-format on
class cluster_config : public caf::actor_system_config {
public:
  /// Declares the options of group `cluster`, registers the `cluster` and
  /// `storage` error categories and sets the defaults listed above.
  cluster_config();

  /// Returns the validated sharding configuration:
  /// `read_sharding_config(*this)`.
  caf::expected<sharding_config> sharding() const;

  /// Adds the message, reply and durable-state types of entity `def`:
  /// `add_entity_types(*this, def)`. Every process that hosts or talks to
  /// the entity calls it before its actor system starts.
  template <class Interface, class State>
  cluster_config& add_entity(const entity<Interface, State>& def) {
    add_entity_types(*this, def);
    return *this;
  }
};

} // namespace caf_cluster
