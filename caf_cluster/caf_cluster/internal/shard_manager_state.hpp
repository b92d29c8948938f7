// The state of a shard manager, shared by the files that implement it, one
// concern each:
// - shard_manager.cpp: the behaviour, the periodic tick, the graceful leave;
// - membership.cpp: registration, the live runners, the hash ring and the
//   shard map the router gets;
// - lease_keeper.cpp: acquiring, refreshing, losing and releasing leases,
//   asking the participants to stop a shard and the recovery actor to hand
//   over an acquired shard's stored messages.
// Which shard is where is kept in the shard table only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/hash_ring.hpp"
#include "caf_cluster/internal/shard_manager.hpp"

namespace caf_cluster::internal {

/// Timer: the periodic refresh and re-assignment.
using tick_atom = caf::atom_constant<caf::atom("cc_tick")>;

/// Timer: ask again soon for shards still leased elsewhere.
using poll_atom = caf::atom_constant<caf::atom("cc_poll")>;

using shard_manager_impl
  = shard_manager_actor::extend<caf::reacts_to<tick_atom>,
                                caf::reacts_to<poll_atom>>;

/// A shard of one of the hosted groups: `g` indexes `shard_table::groups`.
struct shard_ref {
  size_t g = 0;
  int32_t index = 0;
};

struct shard_manager_state {
  static inline const char* name = "caf_cluster.shard_manager";

  shard_manager_impl::pointer self = nullptr;
  shard_manager_config cfg;
  bool leaving = false;
  size_t participants_left = 0;

  const node_context& node() const noexcept {
    return *cfg.node;
  }

  shard_table& table() const noexcept {
    return *cfg.node->shards;
  }

  bool client_only() const noexcept {
    return cfg.address.empty();
  }

  /// The level of routine news (joins, the own leave): `info` on a runner,
  /// `debug` on a client-only node, whose stderr is a tool's own output.
  log_level routine() const noexcept {
    return client_only() ? log_level::debug : log_level::info;
  }

  /// The level of trouble among the runners: `warning`, `debug` on a client.
  log_level notable() const noexcept {
    return client_only() ? log_level::debug : log_level::warning;
  }

  int64_t lease_ms() const {
    return to_ms(node().config.lease_duration);
  }

  /// The storage key of a shard: `"group:index"`.
  std::string key(shard_ref s) const;

  /// Parses a storage key of a hosted group.
  std::optional<shard_ref> parse(const std::string& key) const;

  /// Lists shards for a log line, runs compressed: `default:1-4,9` (the
  /// first 12 runs of each group).
  std::string describe(const std::vector<shard_ref>& xs) const;

  /// Failed storage calls in a row, per kind of call: a streak is logged
  /// when it starts and when it ends, not at every tick in between.
  std::map<std::string, int64_t> failure_streaks;

  /// Failures in a row after which a streak is logged as an error.
  static constexpr int64_t failures_before_error = 3;

  /// An error streak is logged again every so many failures.
  static constexpr int64_t failures_between_errors = 100;

  /// Counts a failure of `what` and records it as the node's storage
  /// failure; the first of a streak logs a warning, the third (the first,
  /// for a damaged file) an error, and every hundredth again.
  void failed(const char* what, const caf::error& err);

  /// Ends a streak of `what` with one info line, if one was running; once no
  /// streak runs, storage counts as working again.
  void worked(const char* what);

  // -- shard_manager.cpp ---------------------------------------------------

  caf::timespan period() const;

  void tick();

  void leave(const std::vector<shard_participant_actor>& participants);

  void finish_leave();

  /// The router stopped outside a leave: leaves the cluster (through the
  /// runtime's drain when there is one, so that the process stops too).
  void router_down(const caf::error& reason);

  // -- membership.cpp ------------------------------------------------------

  bool registered = true;
  int64_t last_renewal_ms = 0;
  struct cached_ring {
    std::vector<ring_node> nodes;
    std::vector<std::string> owners;
  };
  std::map<std::string, cached_ring> rings; // by group
  std::map<std::string, std::vector<std::string>> published; // last sent
  std::map<std::string, int32_t> published_live_of; // live runners, last sent

  /// Registers again after this runner was presumed dead.
  void rejoin(int64_t now);

  /// Set once a drain request was seen: it starts one leave only.
  bool drain_seen = false;

  std::map<std::string, bool> known_runners; // address -> healthy
  bool seen_runners = false;

  /// Runners whose heartbeat was dated ahead beyond the clock skew at the
  /// last read, and leases (by shard) likewise: each is logged once.
  std::set<std::string> forged_runners;
  std::set<std::string> forged_leases;

  /// The runners of `all` that are live at `now`; a heartbeat dated more than
  /// `cluster.max-clock-skew` ahead is not believed (a writer of the
  /// database could keep a runner in the ring for years), and logged once.
  std::vector<storage::runner_row>
  live_among(const std::vector<storage::runner_row>& all, int64_t now);

  /// Logs the runners that joined, left, died or changed health since the
  /// last read of `live` (`all`: every registered runner).
  void observe(const std::vector<storage::runner_row>& live,
               const std::vector<storage::runner_row>& all);

  /// Returns whether `live` lists this runner.
  bool listed(const std::vector<storage::runner_row>& live) const;

  /// Returns whether this runner's row in `live` asks it to drain.
  bool drain_requested(const std::vector<storage::runner_row>& live) const;

  /// The hash ring's owner of each shard of `group` among the healthy
  /// `live` runners hosting it; recomputed only when those change (hashing
  /// every shard each tick was most of a tick's cost).
  const std::vector<std::string>&
  ring_of(const std::string& group,
          const std::vector<storage::runner_row>& live);

  /// Sends the router the shard map of `group`: the lease holder where a
  /// lease holds, else the ring's choice (about to acquire it), and the
  /// number of live runners (a runner counts itself, registered or not
  /// yet), so that a client with no runner at all fails sends at once.
  void publish(const std::string& group, const std::vector<std::string>& ring,
               const std::vector<storage::lease_row>* leases, int64_t now,
               size_t live_runners);

  // -- lease_keeper.cpp ----------------------------------------------------

  std::set<std::string> recovery_asked; // shards handed to recovery (keys)
  bool poll_pending = false;

  /// Until when a shard leased at `now` may run: one refresh interval
  /// before its lease can expire.
  int64_t serve_until(int64_t now) const;

  /// Calls `f(shard_ref, shard_state)` for every shard owned here.
  template <class F>
  void for_each_owned(F f) const {
    auto& t = table();
    for (size_t g = 0; g < t.groups().size(); ++g)
      for (int32_t i = 1; i <= t.size(); ++i)
        if (auto st = t.state(i, g); st != shard_state::unowned)
          f(shard_ref{g, i}, st);
  }

  /// Refreshes every lease (the heartbeat too); stops what was lost.
  void renew(int64_t now);

  /// Gives up the shards of `g` the ring moved away, acquires the ones it
  /// gave this runner. `leases` (this tick's read, if it worked) tells a
  /// failover (the previous holder's lease expired) from a hand-over (it
  /// released the lease, which deletes the row).
  void rebalance(size_t g, const std::vector<std::string>& ring, int64_t now,
                 const std::vector<storage::lease_row>* leases);

  /// Counts the shards of `granted` whose lease row in `leases` belonged to
  /// another runner and had expired at `now`.
  void count_failovers(const std::vector<storage::lease_grant>& granted,
                       const std::vector<storage::lease_row>* leases,
                       int64_t now);

  /// The lease is gone: stop at once, and stay away from the shard until
  /// its entities are gone (a new acquisition must not start while an
  /// entity of the old one still runs).
  void lose(shard_ref s);

  /// Loses every shard this runner serves, saying `why` in the log (if it
  /// served any).
  void lose_all(const char* why);

  /// Asks the participants with something in the shard to stop it; with
  /// `release`, gives the lease back once they all have (bounded by
  /// `grace`).
  void stop_entities(shard_ref s, caf::timespan grace, bool release);

  void released(shard_ref s);

  /// Asks the recovery actor for the stored messages of newly acquired
  /// shards; they serve once it answers.
  void request_recovery();

  /// Some shards this runner should own are still leased elsewhere (their
  /// old owner is stopping them): ask again soon rather than a period later,
  /// which keeps a hand-over well under a second.
  void poll_soon();
};

using shard_manager_pointer
  = shard_manager_impl::stateful_pointer<shard_manager_state>;

} // namespace caf_cluster::internal
