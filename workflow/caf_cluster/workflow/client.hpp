// A typed client for the executions of one workflow: execute (waiting or
// detached), poll, interrupt, resume, purge. Works on every node, also on
// client-only nodes that do not host the workflow.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/workflow/context.hpp"
#include "caf_cluster/workflow/detail/codec.hpp"
#include "caf_cluster/workflow/detail/core.hpp"
#include "caf_cluster/workflow/status.hpp"
#include "caf_cluster/workflow/workflow.hpp"

namespace caf_cluster::workflow {

/// Client for executions of a `workflow<P, R, E>`; cheap to copy.
template <class P, class R, class E>
class client {
public:
  /// @private Made by `engine::make_client`.
  client(sharding cluster, workflow<P, R, E> def)
    : cluster_(std::move(cluster)), def_(std::move(def)) {
    // nop
  }

  /// Starts the execution of `payload` (or joins the running or finished
  /// one with the same idempotency key) and blocks until it ended or
  /// `timeout` passed. Not for use inside actors (see the other overload).
  /// @returns the body's outcome (a typed failure is an outcome with
  ///          `!ok()`), or `errc::workflow_interrupted`,
  ///          `errc::nondeterministic_workflow`, `errc::entity_failed` (a
  ///          throwing body), `errc::timeout`.
  caf::expected<outcome<R, E>> execute(const P& payload,
                                       caf::timespan timeout) const {
    auto bytes = detail::encode(cluster_.system(), payload);
    if (!bytes)
      return std::move(bytes.error());
    auto st = detail::execute(cluster_, ref(payload), std::move(*bytes),
                              timeout);
    if (!st)
      return std::move(st.error());
    return detail::to_outcome<R, E>(cluster_.system(), *st);
  }

  /// Like `execute(payload, timeout)` from inside actor `self`: calls
  /// `f(outcome<R, E>&)` or `g(caf::error&)` in `self`'s context.
  template <class Self, class OnResult, class OnError>
  void execute(Self* self, const P& payload, caf::timespan timeout, OnResult f,
               OnError g) const {
    auto bytes = detail::encode(cluster_.system(), payload);
    if (!bytes) {
      g(bytes.error());
      return;
    }
    auto awaiter = detail::spawn_awaiter(cluster_, ref(payload),
                                         std::move(*bytes), timeout);
    auto* sys = &cluster_.system();
    self
      ->request(awaiter, timeout + std::chrono::seconds{2},
                caf::get_atom::value)
      .then(
        [sys, f, g](detail::wf_status& st) mutable {
          auto x = detail::to_outcome<R, E>(*sys, st);
          if (x)
            f(*x);
          else
            g(x.error());
        },
        [g](caf::error& err) mutable {
          g(err);
        });
  }

  /// Starts the execution of `payload` (or joins it) and returns its id
  /// once the start is stored and processed, without waiting for the end.
  caf::expected<std::string> start(const P& payload,
                                   caf::timespan timeout) const {
    auto bytes = detail::encode(cluster_.system(), payload);
    if (!bytes)
      return std::move(bytes.error());
    auto r = ref(payload);
    if (auto err = detail::start(cluster_, r, std::move(*bytes), timeout))
      return err;
    return r.execution_id;
  }

  /// Returns the state of execution `execution_id`, with the outcome once
  /// it ended.
  caf::expected<poll_result<R, E>> poll(const std::string& execution_id,
                                        caf::timespan timeout) const {
    auto st = detail::poll(cluster_, ref_of(execution_id), timeout);
    if (!st)
      return std::move(st.error());
    return to_poll_result(*st);
  }

  /// Interrupts execution `execution_id`: at its next step it stops, runs
  /// its compensations and ends `interrupted`. No effect on an ended one.
  caf::error interrupt(const std::string& execution_id,
                       caf::timespan timeout) const {
    return detail::interrupt(cluster_, ref_of(execution_id), timeout);
  }

  /// Resumes an execution suspended on a failure: its failed activities
  /// are attempted again.
  caf::error resume(const std::string& execution_id,
                    caf::timespan timeout) const {
    return detail::resume(cluster_, ref_of(execution_id), timeout);
  }

  /// Purges an ended execution (journal and stored messages); an execution
  /// that has not ended is left alone (`errc::invalid_argument`).
  caf::error purge(const std::string& execution_id,
                   caf::timespan timeout) const {
    return detail::purge(cluster_, ref_of(execution_id), timeout);
  }

  /// Returns the execution id of `payload`.
  std::string execution_id(const P& payload) const {
    return def_.execution_id(payload);
  }

  /// Returns the definition.
  const workflow<P, R, E>& definition() const noexcept {
    return def_;
  }

  // -- in-actor variants (for actors and CAF's deterministic tests) ---------

  /// Like `start(payload, timeout)` from inside actor `self`: calls
  /// `f(std::string& execution_id)` or `g(caf::error&)`.
  template <class Self, class F, class G>
  void start(Self* self, const P& payload, caf::timespan timeout, F f,
             G g) const {
    auto bytes = detail::encode(cluster_.system(), payload);
    if (!bytes) {
      g(bytes.error());
      return;
    }
    auto id = def_.execution_id(payload);
    entity_client()
      .request(self, id, detail::wf_start{std::move(*bytes), parent_ref{}},
               timeout)
      .then(
        [f, id](detail::wf_status&) mutable {
          auto x = id;
          f(x);
        },
        [g](caf::error& err) mutable {
          g(err);
        });
  }

  /// Like `poll(id, timeout)` from inside actor `self`: calls
  /// `f(poll_result<R, E>&)` or `g(caf::error&)`.
  template <class Self, class F, class G>
  void poll(Self* self, const std::string& execution_id, caf::timespan timeout,
            F f, G g) const {
    auto self_client = *this;
    entity_client()
      .request(self, execution_id, detail::wf_poll{}, timeout)
      .then(
        [self_client, f, g](detail::wf_status& st) mutable {
          auto x = self_client.to_poll_result(st);
          if (x)
            f(*x);
          else
            g(x.error());
        },
        [g](caf::error& err) mutable {
          g(err);
        });
  }

  /// Like `interrupt(id, timeout)` from inside actor `self`: calls `f()` or
  /// `g(caf::error&)`.
  template <class Self, class F, class G>
  void interrupt(Self* self, const std::string& execution_id,
                 caf::timespan timeout, F f, G g) const {
    control(self, execution_id, detail::wf_interrupt{}, timeout, f, g);
  }

  /// Like `resume(id, timeout)` from inside actor `self`.
  template <class Self, class F, class G>
  void resume(Self* self, const std::string& execution_id,
              caf::timespan timeout, F f, G g) const {
    control(self, execution_id,
            detail::wf_resume{cluster_.next_snowflake().value()}, timeout, f,
            g);
  }

  /// Like `purge(id, timeout)` from inside actor `self`.
  template <class Self, class F, class G>
  void purge(Self* self, const std::string& execution_id, caf::timespan timeout,
             F f, G g) const {
    control(self, execution_id, detail::wf_purge_now{}, timeout, f, g);
  }

  /// @private Converts a polled status.
  caf::expected<poll_result<R, E>>
  to_poll_result(const detail::wf_status& st) const {
    poll_result<R, E> result;
    result.status = st.status;
    result.cause = st.cause;
    if (is_final(st.status)) {
      if (auto err = detail::engine_error(st)) {
        result.cause = std::move(err);
      } else {
        auto x = detail::to_outcome<R, E>(cluster_.system(), st);
        if (!x)
          return std::move(x.error());
        result.result = std::move(*x);
      }
    }
    return result;
  }

private:
  caf_cluster::entity_client<detail::wf_actor> entity_client() const {
    return cluster_.make_client(
      detail::execution_entity(def_.name(), def_.shard_group()));
  }

  template <class Self, class Msg, class F, class G>
  void control(Self* self, const std::string& execution_id, Msg msg,
               caf::timespan timeout, F f, G g) const {
    entity_client()
      .request(self, execution_id, std::move(msg), timeout)
      .then(
        [f](detail::wf_status&) mutable {
          f();
        },
        [g](caf::error& err) mutable {
          g(err);
        });
  }

  detail::execution_ref ref(const P& payload) const {
    return ref_of(def_.execution_id(payload));
  }

  detail::execution_ref ref_of(const std::string& id) const {
    return detail::execution_ref{def_.name(), id, def_.shard_group()};
  }

  sharding cluster_;
  workflow<P, R, E> def_;
};

} // namespace caf_cluster::workflow
