// A deterministic cluster for tests: N simulated runners in one process on
// CAF's test coordinator, with in-memory transport and storage and a manual
// wall clock that moves with the coordinator's clock. Nothing runs unless the
// test runs it, so a test decides every interleaving and every timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/error.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/expected.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/detail/message_traits.hpp"
#include "caf_cluster/entity.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/memory_transport.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/wall_clock.hpp"
#include "caf_cluster/testing/test_system_config.hpp"

namespace caf_cluster::testing {

/// Registers a test's entity types (and singletons, crons) on runner `i`
/// each time it starts; an error stops the cluster's construction or restart.
using setup_hook = std::function<caf::error(sharding& runner, size_t i)>;

/// A cluster of simulated runners for deterministic tests.
///
/// Runner `i` listens on `10.0.0.<i+1>:4000` of an in-memory network and
/// shares one in-memory runner and message storage with the others. Storage
/// calls run inside the runner's actors (`detach_storage_calls = false`), so
/// the test coordinator sees every step. The destructor stops every runner
/// gracefully and drains the remaining timers.
///
/// Not thread-safe: one test thread drives it.
class test_cluster {
public:
  /// The default runner configuration: 30 shards, a 1 s entity termination
  /// timeout, a 3 s send timeout, default lease timing.
  static sharding_config default_config();

  /// The wall-clock time the cluster starts at (2026-01-01T00:00:00Z).
  static constexpr int64_t start_ms = 1'767'225'600'000;

  /// The step `ask` and `advance_until` move the clocks by.
  static constexpr caf::timespan step = std::chrono::milliseconds{100};

  /// Starts `runners` runners, each set up by `setup`, on an actor system
  /// configured by `configure` (register the entities' message types there),
  /// and lets them settle (2 s of simulated time) so every shard has an
  /// owner. Throws `std::runtime_error` naming the runner if one fails to
  /// start or `setup` fails.
  explicit test_cluster(size_t runners, setup_hook setup = {},
                        const config_hook& configure = {},
                        sharding_config config = default_config());

  /// Stops every runner gracefully and drains the scheduler and its timers.
  ~test_cluster();

  /// Not copyable: it owns the actor system and the runners.
  test_cluster(const test_cluster&) = delete;

  /// Not copyable: it owns the actor system and the runners.
  test_cluster& operator=(const test_cluster&) = delete;

  // -- time and scheduling ----------------------------------------------------

  /// Runs every job of every unpaused actor until none has work left (fires
  /// no timer); returns how many jobs ran.
  size_t run();

  /// Moves the wall clock and the actor clock by `d` in steps of at most
  /// `step`, firing the timers due and running until idle after each step,
  /// so lease refreshes and other periodic timers keep their schedule.
  void advance(caf::timespan d);

  /// Advances in steps of `step` until `pred()` holds; returns false if it
  /// still does not after `limit`.
  bool advance_until(const std::function<bool()>& pred,
                     caf::timespan limit = std::chrono::seconds{10});

  // -- runners ----------------------------------------------------------------

  /// Returns the number of runners (running or not).
  size_t size() const noexcept;

  /// Returns the address of runner `i`.
  std::string address(size_t i) const;

  /// Returns whether runner `i` runs (started, not killed, not left).
  bool up(size_t i) const;

  /// Returns the sharding service of runner `i`, e.g. to make clients or
  /// register more entity types; throws `std::out_of_range` if it never
  /// started.
  sharding& runner(size_t i);

  /// Kills runner `i` as a crashed process: its actors die, it releases
  /// nothing (its leases lapse, other runners take its shards over).
  void kill(size_t i);

  /// Starts a graceful leave of runner `i` (it hands its shards back).
  void leave(size_t i);

  /// Starts runner `i` again on the same storage and address (a running one
  /// is killed first, a leaving one waited for) and runs its setup. Ids the
  /// new process hands out never repeat the old process's ids, even when no
  /// time passed in between.
  void restart(size_t i);

  /// Freezes (`on`) or thaws runner `i`: its actors get no CPU time, as a
  /// process stopped by SIGSTOP. Its leases lapse while frozen.
  void pause(size_t i, bool on = true);

  /// Cuts runner `i` from runner storage (`on`) or restores its access:
  /// every lease, registration and membership call fails as on a lost
  /// database connection. Message storage stays reachable.
  void cut_storage(size_t i, bool on = true);

  /// Returns whether runner `i` is paused.
  bool paused(size_t i) const;

  /// Returns whether runner `i` is cut from runner storage.
  bool cut(size_t i) const;

  /// Returns the runners that serve the shard of `entity_id` (in the
  /// default shard group) now: one once the cluster has settled, none
  /// during a failover.
  std::vector<size_t> servers(std::string_view entity_id) const;

  // -- messages -----------------------------------------------------------------

  /// Sends `msg` to entity `entity_id` of type `def` through runner `via`,
  /// runs until the reply arrives (advancing time in steps while none does)
  /// and returns it: the entity's value or error, `errc::timeout` after
  /// `timeout`, `errc::shutting_down` if runner `via` is down. For replies
  /// of one value or none (`caf::expected<void>`); for a reply of several
  /// values use a client of `runner(via)` inside an actor.
  template <class Interface, class State, class Msg>
  auto ask(size_t via, const entity<Interface, State>& def,
           std::string entity_id, Msg msg,
           caf::timespan timeout = std::chrono::seconds{3}) {
    using sigs = typename Interface::signatures;
    static_assert(detail::accepts<sigs, Msg>,
                  "the entity's interface does not accept this message");
    using value_type =
      typename detail::ask_value<detail::reply_types<sigs, Msg>>::type;
    using result_type = caf::expected<value_type>;
    auto slot = std::make_shared<std::optional<result_type>>();
    if (!up(via))
      return result_type{caf::make_error(errc::shutting_down)};
    auto client = runner(via).make_client(def);
    sys_.spawn([=](caf::event_based_actor* self) {
      auto on_error = [slot](caf::error& err) { *slot = std::move(err); };
      if constexpr (std::is_void_v<value_type>)
        client.request(self, entity_id, msg, timeout)
          .then([slot] { *slot = result_type{}; }, on_error);
      else
        client.request(self, entity_id, msg, timeout)
          .then([slot](value_type& x) { *slot = std::move(x); }, on_error);
    });
    await([&slot] { return slot->has_value(); }, timeout);
    if (!*slot)
      return result_type{caf::make_error(errc::timeout)};
    return std::move(**slot);
  }

  /// Sends `msg` to entity `entity_id` through runner `via` without waiting
  /// for a reply, then runs until idle. A non-zero `deliver_at_ms` (a
  /// persisted message only) keeps it in message storage until the wall
  /// clock reaches that time.
  template <class Interface, class State, class Msg>
  void tell(size_t via, const entity<Interface, State>& def,
            std::string_view entity_id, Msg msg, int64_t deliver_at_ms = 0) {
    auto client = runner(via).make_client(def);
    if (deliver_at_ms == 0)
      client.tell(entity_id, std::move(msg));
    else
      client.tell_at(entity_id, std::move(msg), deliver_at_ms);
    run();
  }

  /// Returns a driver on the cluster's message storage, to inspect stored
  /// messages and durable state.
  std::shared_ptr<storage::message_driver> message_storage() const;

  // -- parts ------------------------------------------------------------------

  /// Returns the actor system every runner lives in.
  caf::actor_system& system() noexcept {
    return sys_;
  }

  /// Returns CAF's test coordinator, for finer steps than `run`.
  caf::scheduler::test_coordinator& scheduler() noexcept {
    return sched_;
  }

  /// Returns the wall clock of every runner (moved only by `advance`).
  const std::shared_ptr<manual_wall_clock>& clock() const noexcept {
    return clock_;
  }

  /// Returns the configuration every runner starts with (its address aside).
  const sharding_config& config() const noexcept {
    return config_;
  }

private:
  struct node;

  void start(size_t i);
  void stop_all();
  void refresh_frozen();
  void await(const std::function<bool()>& pred, caf::timespan timeout);

  test_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  std::shared_ptr<manual_wall_clock> clock_;
  sharding_config config_;
  setup_hook setup_;
  std::shared_ptr<storage::memory_runner_store> store_;
  std::shared_ptr<memory_network> network_;
  std::vector<node> nodes_;
  std::vector<caf::actor_id> frozen_;
};

} // namespace caf_cluster::testing
