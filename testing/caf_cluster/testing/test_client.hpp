// A test client for one entity type, after Effect's `Entity.makeTestClient`:
// the entity runs in a one-runner in-memory cluster on CAF's test
// coordinator, so a unit test of an entity is a few sends and checks.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "caf/error.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_types.hpp"
#include "caf_cluster/testing/test_cluster.hpp"
#include "caf_cluster/testing/test_system_config.hpp"

namespace caf_cluster::testing {

/// Talks to entities of one type in a deterministic one-runner cluster made
/// by `make_test_client`. Movable, not copyable.
template <class Interface, class State>
class test_client {
public:
  /// @private Made by `make_test_client`.
  test_client(entity<Interface, State> def,
              std::unique_ptr<test_cluster> cluster)
    : def_(std::move(def)), cluster_(std::move(cluster)) {
    // nop
  }

  /// Sends `msg` to entity `entity_id` and returns its reply as a
  /// `caf::expected` (the value, the entity's error, or `errc::timeout`
  /// after `timeout`); moves simulated time only while no reply is there.
  template <class Msg>
  auto ask(std::string entity_id, Msg msg,
           caf::timespan timeout = std::chrono::seconds{3}) {
    return cluster_->ask(0, def_, std::move(entity_id), std::move(msg),
                         timeout);
  }

  /// Sends `msg` to entity `entity_id` without waiting for a reply and runs
  /// until idle; a non-zero `deliver_at_ms` delays a persisted message until
  /// the clock (see `now_ms`) reaches it.
  template <class Msg>
  void tell(std::string_view entity_id, Msg msg, int64_t deliver_at_ms = 0) {
    cluster_->tell(0, def_, entity_id, std::move(msg), deliver_at_ms);
  }

  /// Moves simulated time by `d` (timers fire, idle entities passivate).
  void advance(caf::timespan d) {
    cluster_->advance(d);
  }

  /// Returns the simulated wall-clock time in milliseconds since the epoch.
  int64_t now_ms() const {
    return cluster_->clock()->now_ms();
  }

  /// Kills the runner and starts it again on the same storage: persisted
  /// messages and durable state survive, everything in memory is gone.
  void restart() {
    cluster_->restart(0);
  }

  /// Returns the cluster behind the client, for everything else.
  test_cluster& cluster() noexcept {
    return *cluster_;
  }

private:
  entity<Interface, State> def_;
  std::unique_ptr<test_cluster> cluster_;
};

/// Starts a one-runner in-memory cluster that hosts entity type `def` with
/// behaviour `fun` (as for `sharding::register_entity`) and returns a client
/// for it. The entity's message and state types are registered
/// (`add_entity_types`); `configure` runs on the actor system configuration
/// after that, for anything else the test needs. Throws `std::runtime_error`
/// if the runner fails to start or the registration fails (with its reason).
template <class Interface, class State, class F>
test_client<Interface, State>
make_test_client(const entity<Interface, State>& def, F fun,
                 const config_hook& configure = {},
                 sharding_config config = test_cluster::default_config()) {
  auto setup = [def, fun](sharding& runner, size_t) {
    return runner.register_entity(def, fun);
  };
  auto with_types = [def, configure](caf::actor_system_config& cfg) {
    add_entity_types(cfg, def);
    if (configure)
      configure(cfg);
  };
  return test_client<Interface, State>(
    def,
    std::make_unique<test_cluster>(1, setup, with_types, std::move(config)));
}

} // namespace caf_cluster::testing
