// Shared fixture of the deterministic workflow tests: a test_cluster whose
// runners host the test workflows, an "outside world" every activity and
// compensation writes its side effects to (a keyed ledger shared by all
// runners of the process, as a real external system would be), and
// non-blocking ways to drive executions (blocking client calls would wait for
// ever on the test coordinator, which runs only when the test runs it).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/expected.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/testing/test_cluster.hpp"
#include "caf_cluster/workflow.hpp"

namespace caf_cluster::testing::wf {

using namespace std::chrono_literals;
using caf_cluster::workflow::detail::wf_status;

/// Ends a requester that got no answer.
using guard_atom = caf::atom_constant<caf::atom("wfguard")>;

// -- payloads and results -----------------------------------------------------

/// The payload of the email workflow (Effect's test fixture).
struct email {
  std::string to;
  std::string id;
  /// The body fails with a typed error after the deferred (compensation test).
  bool fail_at_end = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, email& x) {
  return f(caf::meta::type_name("test.wf.email"), x.to, x.id, x.fail_at_end);
}

/// The typed failure of the test workflows.
struct wf_error {
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_error& x) {
  return f(caf::meta::type_name("test.wf.error"), x.reason);
}

/// The payload of the other test workflows: an id (the idempotency key).
struct job {
  std::string id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job& x) {
  return f(caf::meta::type_name("test.wf.job"), x.id);
}

using email_workflow = workflow::workflow<email, std::string, wf_error>;
using job_workflow = workflow::workflow<job, std::string, wf_error>;

// -- the outside world
// ----------------------------------------------------------

/// Side effects of activities and compensations, counted per `what` (an
/// activity with its attempt, a compensation) and execution id. Thread-safe:
/// fan-out activities run on threads of their own.
class world {
public:
  /// Records one side effect; returns how often it happened now.
  int effect(const std::string& what, const std::string& execution_id);

  /// Returns how often `what` happened for `execution_id`.
  int count(const std::string& what, const std::string& execution_id) const;

  /// Returns every (what, execution id) -> count.
  std::map<std::pair<std::string, std::string>, int> all() const;

  /// Returns the side effects of `execution_id` in the order they happened.
  std::vector<std::string> order(const std::string& execution_id) const;

  /// Makes the next side effect `what` of `execution_id` (empty: of any
  /// execution) trip the wire.
  void arm(std::string what, std::string execution_id = {});

  /// Takes the wire down again.
  void disarm();

  /// Whether an armed side effect happened since `arm`.
  bool tripped() const {
    return tripped_.load();
  }

  /// The version of the code the bodies run (a deploy changes it).
  std::atomic<int> version{1};

  /// Attempts of activity "Flaky" that fail before one succeeds.
  std::atomic<int> flaky_failures{0};

private:
  mutable std::mutex mtx_;
  std::map<std::pair<std::string, std::string>, int> counts_;
  std::map<std::string, std::vector<std::string>> order_;
  std::string armed_;
  std::string armed_execution_;
  std::atomic<bool> tripped_{false};
};

// -- the test workflows
// ---------------------------------------------------------

/// Effect's email fixture: activity "SendEmail" fails until attempt 5
/// (retry policy of 5 attempts), compensation "Unsend", durable sleep "Wait"
/// of 10 s, deferred "Confirm" (std::string); result "sent:<confirmation>",
/// or the typed failure "rejected" when `fail_at_end`.
const email_workflow& email_def();

/// Like `email_def` in shard group "workflow" (needs that group configured).
const email_workflow& grouped_email_def();

/// Activity "Flaky" fails `flaky_failures` times, then "Done" runs; suspends
/// on failure.
const job_workflow& flaky_def();

/// Activity "Fails" returns an error the body handles as a value.
const job_workflow& catching_def();

/// A parent awaiting the email workflow as a child (payload id + "-child").
const job_workflow& parent_def();

/// Activity "Charge" (compensation "Refund"), then by version: v1 sleep
/// "Cool" 10 s; v2 (changed, unversioned) activity "FraudCheck" instead of
/// the sleep; v3 (versioned) `patched("fraud-check")` guards "FraudCheck"
/// before the sleep. Then activity "Ship".
const job_workflow& order_def();

/// Activity "Prepare", sleep "Nap" 10 s, then awaits deferred "Approval"
/// (std::string); result the approval.
const job_workflow& approval_def();

/// Fan-out of "A", "B", "C" (ctx.all, each returning its run count), sleep
/// "Nap" 10 s; result the three values joined.
const job_workflow& fanout_def();

/// Two compensations "UndoA", "UndoB" after activities "A", "B", then
/// activity "Boom" fails: the execution fails and compensates in reverse.
const job_workflow& compensating_def();

/// The seeded workload: activities "A", "B", "C" (each returns its run
/// count), sleep "Nap" 5 s, deferred "Go" (std::string); result "a,b,c,go".
const job_workflow& pipeline_def();

/// Activity "Before", durable sleep "Hour" of 1 h, activity "After".
const job_workflow& sleeper_def();

/// Activity "Transactional" through `activity_in_transaction`; result
/// "refused" when the storage refuses it with `errc::unsupported`.
const job_workflow& transactional_def();

/// Adds the types of every test workflow to `cfg`.
void add_types(caf::actor_system_config& cfg);

/// Adds every test workflow on runner `r` with bodies writing to `w`.
caf::error add_workflows(sharding& r, const std::shared_ptr<world>& w);

// -- the cluster
// ------------------------------------------------------------------

/// The slot an asynchronous request fills.
template <class T>
using slot = std::shared_ptr<std::optional<caf::expected<T>>>;

/// A small cluster (few shards) whose runners host every test workflow.
class wf_cluster {
public:
  /// 6 shards per group; groups "default" and "workflow".
  static sharding_config small_config();

  explicit wf_cluster(size_t runners = 3, sharding_config cfg = small_config());

  std::shared_ptr<world> w = std::make_shared<world>();
  test_cluster c;

  /// Runs `execute(self, ...)` of the client of `def` on runner `via`.
  template <class P, class R, class E>
  slot<workflow::outcome<R, E>>
  execute(size_t via, const workflow::workflow<P, R, E>& def, const P& payload,
          caf::timespan timeout = 60s) {
    auto result = std::make_shared<
      std::optional<caf::expected<workflow::outcome<R, E>>>>();
    auto client = workflow::engine{c.runner(via)}.make_client(def);
    c.system().spawn([=](caf::event_based_actor* self) {
      client.execute(
        self, payload, timeout,
        [=](workflow::outcome<R, E>& x) {
          *result = std::move(x);
          self->quit();
        },
        [=](caf::error& err) {
          *result = std::move(err);
          self->quit();
        });
    });
    c.run();
    return result;
  }

  /// Sends trigger or query `msg` (a `detail::wf_*` message) to execution
  /// `id` of workflow `def` through runner `via`, then runs until idle unless
  /// `run_now` is false (for tests that step single jobs afterwards).
  template <class Def, class Msg>
  slot<wf_status> send(size_t via, const Def& def, const std::string& id,
                       Msg msg, caf::timespan timeout = 5s,
                       bool run_now = true) {
    auto result = std::make_shared<std::optional<caf::expected<wf_status>>>();
    if (!c.up(via)) {
      *result = caf::make_error(errc::shutting_down);
      return result;
    }
    auto client = c.runner(via).make_client(workflow::detail::execution_entity(
      def.name(), def.shard_group(), def.max_idle()));
    c.system().spawn([=](caf::event_based_actor* self) -> caf::behavior {
      client.request(self, id, msg, timeout)
        .then(
          [=](wf_status& st) {
            *result = std::move(st);
            self->quit();
          },
          [=](caf::error& err) {
            *result = std::move(err);
            self->quit();
          });
      // A requester whose runner died would wait for ever otherwise.
      self->delayed_send(self, timeout + 2s, guard_atom::value);
      return {[=](guard_atom) {
        self->quit();
      }};
    });
    if (run_now)
      c.run();
    return result;
  }

  /// Starts (or joins) the execution of `payload` without waiting.
  template <class P, class R, class E>
  slot<wf_status> start(size_t via, const workflow::workflow<P, R, E>& def,
                        const P& payload, bool run_now = true) {
    workflow::detail::wf_start x;
    x.payload = *workflow::detail::encode(c.system(), payload);
    return send(via, def, def.execution_id(payload), std::move(x), 5s, run_now);
  }

  /// Completes deferred `name` of execution `id` with `value`.
  template <class Def>
  slot<wf_status> complete(size_t via, const Def& def, const std::string& id,
                           const std::string& name, const std::string& value) {
    workflow::detail::wf_deferred x;
    x.name = name;
    x.value = *workflow::detail::encode(c.system(), value);
    return send(via, def, id, std::move(x));
  }

  // -- the public client API, in-actor variants ----------------------------

  /// Runs `call(self, on_value, on_error)` in a fresh actor; the slot takes
  /// the value or error it reports (the public API's in-actor variants).
  template <class T, class Call>
  slot<T> in_actor(Call call, caf::timespan guard = 30s) {
    auto result = std::make_shared<std::optional<caf::expected<T>>>();
    c.system().spawn([=](caf::event_based_actor* self) -> caf::behavior {
      call(
        self,
        [=](auto&&... xs) {
          if constexpr (sizeof...(xs) == 0)
            *result = T{};
          else
            *result = T{std::forward<decltype(xs)>(xs)...};
          self->quit();
        },
        [=](caf::error& err) {
          *result = std::move(err);
          self->quit();
        });
      self->delayed_send(self, guard, guard_atom::value);
      return {[=](guard_atom) {
        self->quit();
      }};
    });
    c.run();
    return result;
  }

  /// `client::poll` through runner `via`.
  template <class P, class R, class E>
  slot<workflow::poll_result<R, E>>
  poll_result(size_t via, const workflow::workflow<P, R, E>& def,
              const std::string& id) {
    auto client = workflow::engine{c.runner(via)}.make_client(def);
    return in_actor<workflow::poll_result<R, E>>(
      [client, id](auto* self, auto f, auto g) {
        client.poll(self, id, 5s, f, g);
      });
  }

  /// `client::interrupt` through runner `via`.
  template <class P, class R, class E>
  slot<bool> interrupt(size_t via, const workflow::workflow<P, R, E>& def,
                       const std::string& id) {
    auto client = workflow::engine{c.runner(via)}.make_client(def);
    return in_actor<bool>([client, id](auto* self, auto f, auto g) {
      client.interrupt(
        self, id, 5s,
        [f]() mutable {
          f(true);
        },
        g);
    });
  }

  /// `client::resume` through runner `via`.
  template <class P, class R, class E>
  slot<bool> resume(size_t via, const workflow::workflow<P, R, E>& def,
                    const std::string& id) {
    auto client = workflow::engine{c.runner(via)}.make_client(def);
    return in_actor<bool>([client, id](auto* self, auto f, auto g) {
      client.resume(
        self, id, 5s,
        [f]() mutable {
          f(true);
        },
        g);
    });
  }

  /// `engine::complete` of deferred `name` of execution `id` through runner
  /// `via`, by the token the body would hand out.
  template <class Def>
  slot<bool> complete_token(size_t via, const Def& def, const std::string& id,
                            const std::string& name, std::string value) {
    auto token = workflow::deferred_token{def.name(), id, name,
                                          def.shard_group()}
                   .to_string();
    auto e = std::make_shared<workflow::engine>(c.runner(via));
    return in_actor<bool>([e, token, value](auto* self, auto f, auto g) {
      e->complete(
        self, token, value, 5s,
        [f]() mutable {
          f(true);
        },
        g);
    });
  }

  /// Reads the state of execution `id` (volatile).
  template <class Def>
  slot<wf_status> poll(size_t via, const Def& def, const std::string& id) {
    return send(via, def, id, workflow::detail::wf_poll{});
  }

  /// Advances until `s` holds a value (at most `limit`); returns it.
  template <class T>
  caf::expected<T> await(const slot<T>& s, caf::timespan limit = 30s) {
    c.advance_until(
      [&] {
        return s->has_value();
      },
      limit);
    if (!s->has_value())
      return caf::make_error(errc::timeout, "the test waited in vain");
    return **s;
  }

  /// Returns the stored journal of execution `id` of workflow `def`.
  template <class Def>
  std::optional<workflow::execution_journal> journal(const Def& def,
                                                     const std::string& id) {
    return journal_of(def.entity_type(), id);
  }

  std::optional<workflow::execution_journal>
  journal_of(const std::string& entity_type, const std::string& id);

  /// Returns the stored status of execution `id` (unknown without journal).
  template <class Def>
  workflow::execution_status status(const Def& def, const std::string& id) {
    auto j = journal(def, id);
    return j ? j->status : workflow::execution_status::unknown;
  }

  /// Returns the runner that serves execution `id` (default group) now.
  std::optional<size_t> owner(const std::string& id) const;

  /// Runs single jobs (moving the clocks by 1 ms when idle) until the world
  /// tripped; returns false if it did not within `limit` of simulated time.
  /// Runs the actors of paused runners too: not for use while one is paused.
  bool run_until_tripped(caf::timespan limit = 30s);

  /// Kills every runner, then starts them all again on the same storage.
  void restart_all();

  /// Returns the unprocessed stored requests of `entity_type` per shard.
  std::map<std::string, int64_t> pending(const std::string& entity_type);
};

/// Returns the steps of `j` as "<kind> <name> <state>" lines, for messages.
std::string describe(const workflow::execution_journal& j);

/// Like `describe(j)`; "no journal" when there is none (safe in a lazy INFO).
std::string describe(const std::optional<workflow::execution_journal>& j);

/// Counts the steps of `kind` named `name` with state `state` in `j`.
size_t steps_of(const workflow::execution_journal& j, workflow::step_kind kind,
                const std::string& name, uint8_t state);

/// Decodes a result or typed failure carried by a status.
std::string text_of(caf::actor_system& sys, const wf_status& st);

} // namespace caf_cluster::testing::wf
