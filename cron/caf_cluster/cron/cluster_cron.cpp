#include "caf_cluster/cron/cluster_cron.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"

#include "caf_cluster/cron/civil_time.hpp"
#include "caf_cluster/detail/backoff.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/log.hpp"
#include "caf_cluster/message_storage.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::cron {

namespace {

using cron_tick_atom = caf::atom_constant<caf::atom("cc_crontk")>;
using cron_retry_atom = caf::atom_constant<caf::atom("cc_cronrty")>;
using reseed_atom = caf::atom_constant<caf::atom("cc_reseed")>;

// A tick's entity answers whether the job ran (false: skipped as stale); it
// sends itself `cron_retry_atom` while storing the next tick fails.
using cron_tick_actor
  = caf::typed_actor<caf::replies_to<cron_tick_atom, int64_t>::with<bool>,
                     caf::reacts_to<cron_retry_atom>>;

struct tick_state {
  std::function<void()> retry; // the store to try again
  int failures = 0;
};

using tick_pointer = cron_tick_actor::stateful_pointer<tick_state>;

// The singleton stores the next tick this often: a chain of ticks that broke
// (its successor could not be stored) resumes within this bound.
constexpr auto reseed_interval = std::chrono::minutes{1};

// Ticks are short-lived entities: one activation per tick.
constexpr auto tick_max_idle = std::chrono::seconds{10};

struct cron_spec {
  std::string name;
  std::string type;
  cron_schedule schedule;
  cron_job job;
  cron_options options;
  message_storage storage;
  std::shared_ptr<wall_clock> clock;
  std::function<void(log_level, std::string)> log; // the runner's log
  // The runner's metrics: ticks run, run late, skipped as stale.
  std::shared_ptr<std::atomic<int64_t>> ticks_run;
  std::shared_ptr<std::atomic<int64_t>> ticks_late;
  std::shared_ptr<std::atomic<int64_t>> ticks_skipped;
};

using spec_ptr = std::shared_ptr<const cron_spec>;

void log_tick(const cron_spec& spec, log_level level, int64_t at,
              const std::string& what) {
  spec.log(level, "'" + spec.name + "' tick " + cron_tick_id(at) + ": " + what);
}

void log_failure(const cron_spec& spec, int64_t at, const std::string& what) {
  log_tick(spec, log_level::error, at, what);
}

// Counts the instants in [`at`, `until`), at most `cap` (a fine-grained
// schedule after a long outage has millions).
int64_t instants_between(const cron_schedule& schedule, int64_t at,
                         int64_t until, int64_t cap) {
  int64_t n = 0;
  for (std::optional<int64_t> x = at; x && *x < until && n < cap;
       x = schedule.next_ms(*x))
    ++n;
  return n;
}

constexpr int64_t skip_count_cap = 100'000;

// The tick after `at` when it runs at `now`: the next instant after `at`, so
// that ticks that came due while `at` waited run too (late, each once: their
// keys dedupe), except those older than `skip_ms`: then the first instant
// within the bound. Never at or before `at`: a runner whose clock lags must
// not name this tick again (its key is taken, which would end the chain).
std::optional<int64_t> successor(const cron_schedule& schedule, int64_t at,
                                 int64_t now, int64_t skip_ms) {
  return schedule.next_ms(std::max(at, now - skip_ms - 1));
}

// Stores tick `at` (a duplicate is fine: the tick exists) and calls
// `done(error)` once it is durable or failed.
template <class Self, class F>
void store_tick(Self* self, const spec_ptr& spec, int64_t at, F done) {
  stored_send x;
  x.entity_type = spec->type;
  x.entity_id = cron_tick_id(at);
  x.payload = caf::make_message(cron_tick_atom::value, at);
  x.primary_key = spec->name + "@" + x.entity_id;
  x.deliver_at_ms = at;
  auto row = spec->storage.make_row(x);
  if (!row) {
    done(std::move(row.error()));
    return;
  }
  spec->storage.store(
    self, std::move(*row),
    [done](store_outcome&) mutable {
      done({});
    },
    [done](caf::error& err) mutable {
      done(std::move(err));
    });
}

void run_job(const cron_spec& spec, int64_t at, const std::string& runner) {
  try {
    spec.job(cron_run{spec.name, at, runner});
  } catch (const std::exception& e) {
    log_failure(spec, at, std::string{"job threw: "} + e.what());
  } catch (...) {
    log_failure(spec, at, "job threw");
  }
}

// Pause before store attempt `n` + 1: 100 ms, doubling, at most 5 s.
caf::timespan retry_backoff(int n) {
  return detail::backoff(std::chrono::milliseconds{100}, n,
                         std::chrono::seconds{5});
}

// Stores tick `at`, retrying until it is stored, then calls `then`: a tick
// whose successor is not stored must not finish, or the chain would end.
void store_then(tick_pointer self, const spec_ptr& spec, int64_t at,
                std::function<void()> then) {
  store_tick(self, spec, at, [=](caf::error err) {
    if (!err) {
      self->state.failures = 0;
      then();
      return;
    }
    auto n = ++self->state.failures;
    if (n == 1 || n % 20 == 0)
      log_failure(*spec, at,
                  "not stored (attempt " + std::to_string(n)
                    + ", retrying; the job waits): "
                    + self->system().render(err));
    self->state.retry = [=] {
      store_then(self, spec, at, then);
    };
    self->delayed_send(self, retry_backoff(n), cron_retry_atom::value);
  });
}

// One tick: store its successor, then run the job (unless it is stale).
cron_tick_actor::behavior_type
tick_impl(tick_pointer self, const entity_context& ctx, spec_ptr spec) {
  return {[=](cron_retry_atom) {
            auto f = std::move(self->state.retry);
            self->state.retry = nullptr;
            if (f)
              f();
          },
          [=](cron_tick_atom, int64_t at) {
            auto rp = self->make_response_promise<bool>();
            auto cluster = ctx.cluster();
            if (!cluster || cluster->is_shutdown()) {
              rp.deliver(caf::make_error(errc::shutting_down, spec->type));
              return rp;
            }
            auto runner = cluster->address();
            cluster.reset(); // a handle kept here would keep the service alive
            auto now = spec->clock->now_ms();
            auto skip_ms = to_ms(spec->options.skip_if_older_than);
            auto stale = at < now - skip_ms;
            auto next = successor(spec->schedule, at, now, skip_ms);
            if (stale) {
              auto n = instants_between(spec->schedule, at,
                                        next ? *next : now, skip_count_cap);
              spec->ticks_skipped->fetch_add(n, std::memory_order_relaxed);
              log_tick(*spec, log_level::warning, at,
                       "ran " + std::to_string(now - at)
                         + " ms late, older than skip_if_older_than ("
                         + std::to_string(skip_ms) + " ms): skipped "
                         + std::to_string(n)
                         + (n == skip_count_cap ? " or more" : "")
                         + " tick(s) up to "
                         + (next ? cron_tick_id(*next) : "the end"));
            }
            auto late = now - at > to_ms(spec->options.late_after);
            auto run = [=]() mutable {
              if (!stale) {
                spec->ticks_run->fetch_add(1, std::memory_order_relaxed);
                if (late)
                  spec->ticks_late->fetch_add(1, std::memory_order_relaxed);
                run_job(*spec, at, runner);
              }
              rp.deliver(!stale);
            };
            if (!next) {
              run();
              return rp;
            }
            store_then(self, spec, *next, run);
            return rp;
          }};
}

// The cron's singleton: starts the chain of ticks and repairs it.
caf::behavior seeder_impl(caf::event_based_actor* self, spec_ptr spec) {
  self->send(self, reseed_atom::value);
  return {[=](reseed_atom) {
    if (auto next = spec->schedule.next_ms(spec->clock->now_ms()))
      store_tick(self, spec, *next, [=, at = *next](caf::error err) {
        if (err)
          log_failure(*spec, at, "not stored: " + self->system().render(err));
      });
    self->delayed_send(self, reseed_interval, reseed_atom::value);
  }};
}

} // namespace

std::string cron_entity_type(const std::string& name) {
  return "caf_cluster.cron/" + name;
}

std::string cron_tick_id(int64_t scheduled_ms) {
  return format_utc(scheduled_ms);
}

caf::error cluster_cron(sharding& cluster, std::string name,
                        cron_schedule schedule, cron_job job,
                        cron_options options) {
  auto where = "cluster cron '" + name + "'";
  if (name.empty())
    return caf::make_error(errc::invalid_argument,
                           "cluster cron name must not be empty");
  if (!job)
    return caf::make_error(errc::invalid_argument, where + ": empty job");
  if (options.skip_if_older_than.count() <= 0)
    return caf::make_error(errc::invalid_argument,
                           where + ": skip_if_older_than must be positive");
  if (options.late_after.count() <= 0)
    return caf::make_error(errc::invalid_argument,
                           where + ": late_after must be positive");
  // Checked before anything is registered: the cron's entity type and
  // singleton are named by it, so both take it once this passes.
  if (auto shard = cluster.shard_id(cron_entity_type(name)); !shard)
    return caf::make_error(errc::invalid_argument,
                           where + ": the name must be UTF-8");
  auto clock = cluster.clock();
  if (!schedule.next_ms(clock->now_ms()))
    return caf::make_error(errc::invalid_argument,
                           where + ": schedule \"" + schedule.text()
                             + "\" never fires");
  auto storage = cluster.messages();
  if (!storage)
    return caf::make_error(errc::invalid_config,
                           where
                             + " needs message storage (set "
                               "cluster.storage, or "
                               "runner_options::messages)");
  metric_labels labels{{"cron", name}};
  auto ticks_run = cluster.counter("caf_cluster_cron_ticks_total",
                                   "Cron ticks whose job ran on this runner",
                                   labels);
  auto ticks_late = cluster.counter(
    "caf_cluster_cron_ticks_late_total",
    "Cron ticks that ran here later than late_after after their time", labels);
  auto ticks_skipped = cluster.counter(
    "caf_cluster_cron_ticks_skipped_total",
    "Cron ticks skipped here as older than skip_if_older_than", labels);
  // Valid names by construction: a failure is a bug, not a user error.
  if (!ticks_run || !ticks_late || !ticks_skipped)
    return caf::make_error(errc::invalid_argument,
                           where + ": its metrics could not be registered");
  auto spec = std::make_shared<const cron_spec>(
    cron_spec{name, cron_entity_type(name), std::move(schedule), std::move(job),
              options, std::move(storage), std::move(clock),
              cluster.log_to("cron"), std::move(*ticks_run),
              std::move(*ticks_late), std::move(*ticks_skipped)});
  auto ticks = entity<cron_tick_actor>(spec->type)
                 .persisted<std::tuple<cron_tick_atom, int64_t>>()
                 .max_idle(tick_max_idle);
  if (auto err = cluster.register_entity(
        ticks, [spec](tick_pointer self, entity_context ctx) {
          return tick_impl(self, ctx, spec);
        }))
    return err;
  return cluster.register_singleton(spec->type,
                                    [spec](caf::event_based_actor* self) {
                                      return seeder_impl(self, spec);
                                    });
}

} // namespace caf_cluster::cron
