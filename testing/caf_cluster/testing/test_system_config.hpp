// The actor system configuration of a deterministic test: CAF's test
// coordinator instead of threads, plus the user's own registrations (message
// types, entities) through one hook, so any config can be tested.
#pragma once

#include <functional>

#include "caf/actor_system_config.hpp"

#include "caf_cluster/cluster_config.hpp"

namespace caf_cluster::testing {

/// Registers a test's message types (or anything else) on the configuration
/// before the actor system starts, e.g. `cfg.add_message_type<T>("T")`.
using config_hook = std::function<void(caf::actor_system_config&)>;

/// A `cluster_config` that selects CAF's test coordinator
/// (`scheduler.policy = testing`): no scheduler threads, jobs run only when
/// the test runs them, and timers fire only when the test moves the clock.
class test_system_config : public cluster_config {
public:
  /// Selects the test coordinator, then calls `configure` (if set) on this
  /// configuration.
  explicit test_system_config(const config_hook& configure = {});
};

} // namespace caf_cluster::testing
