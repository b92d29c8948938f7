// Several runners in one process on CAF's deterministic test coordinator:
// shared in-memory runner storage, an in-memory network, and one manual wall
// clock that moves with the actor clock. Faults are injected per runner:
// crash (actors die, nothing released), graceful leave, pause (the runner's
// actors get no CPU) and a cut from storage.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/atom.hpp"
#include "caf/expected.hpp"
#include "caf/replies_to.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/timespan.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/log.hpp"
#include "caf_cluster/memory_transport.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/wall_clock.hpp"

#include "deterministic/faulty_message_driver.hpp"
#include "deterministic/faulty_runner_driver.hpp"
#include "deterministic/ledger_entity.hpp"
#include "deterministic/test_fixture.hpp"

namespace caf_cluster::testing {

/// A counter entity: adds the amount and replies with the new value.
using tally_actor = caf::typed_actor<caf::replies_to<int64_t>::with<int64_t>>;

/// The entity type every runner of the fixture hosts.
const entity<tally_actor>& tally_entity();

/// Wakes a slow entity up.
using wake_atom = caf::atom_constant<caf::atom("wake")>;

/// An entity that replies 1 to `ms` after `ms` milliseconds (a long-running
/// handler, without blocking the deterministic scheduler).
using slow_actor = caf::typed_actor<caf::replies_to<int64_t>::with<int64_t>,
                                    caf::reacts_to<wake_atom>>;

/// The slow entity type every runner of the fixture hosts.
const entity<slow_actor>& slow_entity();

/// The reply slot of an asynchronous request.
using reply_slot = std::shared_ptr<std::optional<caf::expected<int64_t>>>;

class cluster_fixture {
public:
  /// The configuration of every runner: 30 shards, default lease timing,
  /// a 1 s termination timeout, a 3 s send timeout.
  static sharding_config default_config();

  /// Registers more on runner `i` each time it starts (singletons, crons).
  using setup_fn = std::function<void(sharding&, size_t i)>;

  /// Changes the configuration of runner `i` before each start (e.g. its
  /// shard groups).
  using configure_fn = std::function<void(sharding_config&, size_t i)>;

  /// Starts `runners` runners, each configured by `configure` and set up by
  /// `setup` too, and lets them settle.
  explicit cluster_fixture(size_t runners,
                           sharding_config base = default_config(),
                           setup_fn setup = {}, configure_fn configure = {});

  /// Starts a client-only node on the cluster's storage and network (it
  /// hosts no shards and registers nothing); the caller keeps it.
  sharding make_client_node();

  /// Stops every runner gracefully and drains the scheduler.
  ~cluster_fixture();

  /// Returns the address of runner `i`.
  std::string address(size_t i) const;

  /// Returns whether runner `i` runs (started, not crashed, not left).
  bool up(size_t i) const;

  /// Starts runner `i` (again), on its address: a running one crashes first,
  /// a leaving one is waited for.
  void start(size_t i);

  /// Crashes runner `i`.
  void crash(size_t i);

  /// Starts a graceful shutdown of runner `i`.
  void leave(size_t i);

  /// Freezes or thaws every actor of runner `i`.
  void pause(size_t i, bool on);

  /// Cuts runner `i` from runner storage or restores its access.
  void cut_storage(size_t i, bool on);

  /// Makes runner `i`'s runner storage writes fail as on a full disk (reads
  /// still work), or work again.
  void fill_storage(size_t i, bool on);

  /// Returns whether runner `i` is paused / cut.
  bool paused(size_t i) const;
  bool cut(size_t i) const;

  /// Moves both clocks by `d` and runs every job of unpaused actors.
  void advance(caf::timespan d);

  /// Runs every job of unpaused actors.
  size_t run();

  /// Returns the runners that serve shard `index` now.
  std::vector<size_t> servers(int32_t index) const;

  /// Returns the lease epoch runner `i` recorded for shard `index`.
  int64_t epoch(size_t i, int32_t index) const;

  /// Returns the runner whose lease on shard `index` holds now, if any.
  std::optional<std::string> lease_holder(int32_t index) const;

  /// Returns when the lease on shard `index` that holds now expires.
  std::optional<int64_t> lease_expiry(int32_t index) const;

  /// Sends `amount` to tally `id` through runner `via`; the slot fills with
  /// the reply, or stays empty if no reply came within `timeout` + 2 s.
  reply_slot send(size_t via, std::string id, int64_t amount,
                  caf::timespan timeout = std::chrono::seconds{3});

  /// Asks slow entity `id` through runner `via` to reply after `ms`.
  reply_slot send_slow(size_t via, std::string id, int64_t ms,
                       caf::timespan timeout);

  /// Sends `msg` (a `keyed_add` or an `int64_t`) to ledger `id` through
  /// runner `via`; like `send`.
  template <class Msg>
  reply_slot send_ledger(size_t via, std::string id, Msg msg,
                         caf::timespan timeout = std::chrono::seconds{3},
                         int64_t deliver_at_ms = 0);

  /// Reads ledger `id`'s value through runner `via` (volatile).
  reply_slot read_ledger(size_t via, std::string id);

  /// Returns the durable state of ledger `id` in message storage.
  std::optional<ledger_state> stored_ledger(const std::string& id);

  /// Returns a driver on the cluster's runner storage, for inspection and
  /// for what an operator does there (drain, forget).
  std::unique_ptr<storage::runner_driver> runner_storage() const;

  /// Returns a driver on the cluster's message storage, for inspection.
  std::shared_ptr<storage::message_driver> message_storage() const;

  /// Returns how many reply writes of runner `i`'s current process storage
  /// refused as fenced.
  int fenced_writes(size_t i) const {
    return nodes_[i].messages ? nodes_[i].messages->fenced.load() : 0;
  }

  /// Makes every message storage call of runner `i` fail (or work again).
  void cut_messages(size_t i, bool on);

  /// Makes runner `i`'s saves of requests fail (or work again); replies,
  /// claims and reads still work.
  void cut_request_saves(size_t i, bool on);

  /// Freezes (or thaws) only the shard manager of runner `i`, as if it hung
  /// in a storage call: its leases are not refreshed.
  void freeze_shard_manager(size_t i, bool on);

  /// Runs only the message storage writer of runner `i` (held or not) until
  /// it has nothing to do.
  void run_writer(size_t i);

  /// Freezes (or thaws) only the message storage writer of runner `i`: the
  /// writes it was asked for wait in its mailbox.
  void hold_writer(size_t i, bool on);

  /// Returns the sharding service of runner `i` (e.g. to register more
  /// entity types); throws if it is not running.
  sharding& runner(size_t i);

  /// Returns how often runner `i` was started.
  int generation(size_t i) const;

  /// Returns the configuration of the runners.
  const sharding_config& config() const noexcept {
    return base_;
  }

  /// Returns every log record of every runner so far, in order (at the
  /// configuration's `log_level`; the runners write nothing to stderr).
  const std::vector<log_record>& logs() const noexcept {
    return *logs_;
  }

  /// Returns the formatted log lines of runner `i` that contain `part`.
  std::vector<std::string> log_lines(size_t i, const std::string& part) const;

  test_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::shared_ptr<manual_wall_clock> clock;

private:
  struct node {
    std::shared_ptr<faulty_runner_driver> storage;
    std::shared_ptr<faulty_message_driver> messages;
    std::optional<sharding> cluster;
    bool crashed = false;
    bool paused = false;
    bool writer_held = false;
    bool shard_manager_frozen = false;
    int generation = 0;
  };

  void refresh_paused_ids();

  sharding_config base_;
  setup_fn setup_;
  configure_fn configure_;
  // Shared with the sinks: actors may log while the system shuts down.
  std::shared_ptr<std::vector<log_record>> logs_;
  std::shared_ptr<storage::memory_runner_store> store_;
  std::shared_ptr<memory_network> network_;
  std::vector<node> nodes_;
  std::vector<caf::actor_id> paused_ids_;
};

} // namespace caf_cluster::testing
