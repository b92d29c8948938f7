// Cluster cron: a job that runs on a schedule once per tick in the whole
// cluster, across crashes and shard moves. Each tick is a
// persisted message due at the tick's time and keyed by the cron's name and
// that time, so however many runners store it, it is stored and run once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "caf/error.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/cron/cron_schedule.hpp"

namespace caf_cluster {

class sharding;

} // namespace caf_cluster

namespace caf_cluster::cron {

/// How a cluster cron treats late ticks.
struct cron_options {
  /// A tick that runs more than this after its time (the cluster was down,
  /// or its shard moved slowly) is skipped instead of run. The tick after a
  /// run always follows the scheduled time of the tick that ran, not the
  /// time it ran at: ticks that came due while one waited (a failover, an
  /// outage) run late, one after another, each once; only those older than
  /// this are skipped, and the chain resumes at the first instant within it
  /// (logged as a warning of component `cron` with the number of ticks
  /// skipped). Must be positive; one day by default (as in Effect's
  /// ClusterCron).
  caf::timespan skip_if_older_than = std::chrono::hours{24};

  /// A tick that reaches its runner more than this after its scheduled
  /// time still runs, but counts as late in the runner's metrics
  /// (`caf_cluster_cron_ticks_late_total`). On time, a tick arrives within
  /// milliseconds (a timer and one storage write); a failover delays it by
  /// about a lease duration, which the default catches. Must be positive.
  caf::timespan late_after = std::chrono::seconds{1};
};

/// What a job learns about the tick it runs for.
struct cron_run {
  /// The cron's name.
  std::string name;

  /// The tick's scheduled time, milliseconds since the Unix epoch. A tick
  /// whose runner died mid-run runs again on the shard's next owner with
  /// the same time: use it to make the job idempotent.
  int64_t scheduled_ms = 0;

  /// The address of the runner running the job ("" on a single runner).
  std::string runner;

  /// Returns the scheduled time as a `system_clock` time point.
  std::chrono::system_clock::time_point scheduled() const {
    return std::chrono::system_clock::time_point{
      std::chrono::milliseconds{scheduled_ms}};
  }
};

/// A job: runs inside the actor of its tick, so keep it short or hand long
/// work to an actor of your own. An exception is caught and logged (an error
/// of component `cron` in the runner's log); the tick counts as run (it is
/// not retried).
using cron_job = std::function<void(const cron_run&)>;

/// Registers cron `name` on the runner of `cluster`; call it with the same
/// name, schedule and options on every runner that may run it. The cron's
/// singleton (`caf_cluster.cron/<name>`) stores the next tick whenever it
/// starts and every minute after (duplicates are dropped by key); each tick,
/// when due, first stores the tick after it (retrying while storage refuses;
/// the job waits) and then runs `job`. The runner's metrics count, labelled
/// `cron="<name>"`, the ticks whose job ran here
/// (`caf_cluster_cron_ticks_total`), those of them that ran late
/// (`caf_cluster_cron_ticks_late_total`, see `cron_options::late_after`)
/// and the ticks skipped as older than `skip_if_older_than`
/// (`caf_cluster_cron_ticks_skipped_total`).
/// @returns `errc::invalid_argument` for an empty name, an empty `job`, a
///          non-positive `skip_if_older_than` or `late_after`, a schedule
///          that never fires
///          or a name registered already; `errc::invalid_config` on a
///          runner without message storage; `errc::shutting_down` after
///          `shutdown()`.
caf::error cluster_cron(sharding& cluster, std::string name,
                        cron_schedule schedule, cron_job job,
                        cron_options options = {});

/// Returns the entity type of the ticks of cron `name`:
/// `caf_cluster.cron/<name>` (the name of its singleton too).
std::string cron_entity_type(const std::string& name);

/// Returns the entity id of the tick at `scheduled_ms` (its time in
/// ISO-8601 UTC, e.g. `2026-11-24T22:00:00Z`); its primary key is
/// `<name>@<entity id>`.
std::string cron_tick_id(int64_t scheduled_ms);

} // namespace caf_cluster::cron
