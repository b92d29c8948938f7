// A doctest fixture around CAF's deterministic test coordinator: no threads,
// no wall clock. Tests step the scheduler and the actor clock by hand, so
// timing never decides an outcome.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/error.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/expected.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/testing/test_system_config.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::testing {

/// The kit's test configuration with the Ledger's message types.
struct test_config : test_system_config {
  test_config();
};

/// One runner with a manual clock on the test coordinator.
class fixture {
public:
  explicit fixture(sharding_config cfg = {});
  ~fixture();

  /// Runs every runnable job until no actor has work left.
  size_t run();

  /// Advances the actor clock by `d`, fires due timers and runs all jobs.
  void advance(caf::timespan d);

  /// Returns the number of pending timers (delayed messages).
  size_t pending_timers() const;

  /// Sends `msg` to `entity_id` through `client` from a fresh actor and returns
  /// a slot that holds the reply once the scheduler has run.
  template <class Client, class Msg>
  auto request(const Client& client, std::string entity_id, Msg msg,
               caf::timespan timeout = std::chrono::seconds(10)) {
    using value_type = typename detail::ask_value<
      detail::reply_types<typename Client::signatures, Msg>>::type;
    auto slot = std::make_shared<std::optional<caf::expected<value_type>>>();
    sys.spawn([=](caf::event_based_actor* self) {
      client.request(self, entity_id, msg, timeout)
        .then(
          [slot](value_type& x) { *slot = std::move(x); },
          [slot](caf::error& err) { *slot = std::move(err); });
    });
    return slot;
  }

  test_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::shared_ptr<manual_wall_clock> clock;
  std::optional<sharding> cluster;
};

/// Renders `x` for assertion messages.
std::string render(const caf::error& x);

} // namespace caf_cluster::testing
