// The protocol of an execution entity: one typed interface shared by every
// workflow (payloads travel as bytes, so the interface needs no template).
// Every trigger is a persisted message with a primary key that makes a
// repeated send of the same trigger a duplicate; poll and watch are volatile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/workflow/journal.hpp"
#include "caf_cluster/workflow/status.hpp"

namespace caf_cluster::workflow::detail {

/// The answer of every trigger: the execution's state after the advance.
struct wf_status {
  /// The state.
  execution_status status = execution_status::unknown;

  /// The encoded result (`ok`) or typed failure when it ended.
  std::string result;

  /// Whether `result` holds a result.
  bool ok = false;

  /// The engine's error when failed or interrupted without typed failure.
  caf::error error;

  /// Why it is suspended on a failure.
  caf::error cause;
};

/// @relates wf_status
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_status& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_status"), x.status,
           x.result, x.ok, x.error, x.cause);
}

/// Starts the execution (once per execution: a repeated start joins).
struct wf_start {
  /// The encoded payload.
  std::string payload;

  /// The parent, for a child workflow.
  parent_ref parent;

  /// Returns `"start"`.
  std::string primary_key() const {
    return "start";
  }
};

/// @relates wf_start
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_start& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_start"), x.payload,
           x.parent);
}

/// Continues the execution after a yield (one new activity per advance).
struct wf_step {
  /// The journal's `next_step_seq` when it was sent.
  int64_t seq = 0;

  /// Returns `"step/<seq>"`.
  std::string primary_key() const {
    return "step/" + std::to_string(seq);
  }
};

/// @relates wf_step
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_step& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_step"), x.seq);
}

/// A durable sleep is due.
struct wf_wake {
  /// The sleep's name.
  std::string name;

  /// The journal's `resumes` when the sleep was reached: a sleep reached
  /// again after a resume gets a wake-up of its own.
  int32_t generation = 0;

  /// Returns `"clock/<name>"` (with `"@<generation>"` after a resume).
  std::string primary_key() const {
    auto result = "clock/" + name;
    if (generation > 0)
      result += "@" + std::to_string(generation);
    return result;
  }
};

/// @relates wf_wake
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_wake& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_wake"), x.name,
           x.generation);
}

/// Completes a deferred (the first completion per name wins).
struct wf_deferred {
  /// The deferred's name.
  std::string name;

  /// `step_state::ok` or `step_state::failed`.
  uint8_t state = step_state::ok;

  /// The encoded value when ok.
  std::string value;

  /// The error when failed.
  caf::error error;

  /// Returns `"deferred/<name>"`.
  std::string primary_key() const {
    return "deferred/" + name;
  }
};

/// @relates wf_deferred
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_deferred& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_deferred"), x.name,
           x.state, x.value, x.error);
}

/// An awaited child execution ended.
struct wf_child_done {
  /// The child's step name, `"<workflow>/<execution id>"`.
  std::string child;

  /// The child's final state.
  wf_status outcome;

  /// Returns `"child/<child>"`.
  std::string primary_key() const {
    return "child/" + child;
  }
};

/// @relates wf_child_done
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_child_done& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_child_done"), x.child,
           x.outcome);
}

/// Adds an awaiting parent to a child execution, which may already exist (a
/// client or another parent started it): the child tells every parent it
/// ended, and at once when it already has.
struct wf_attach {
  /// The parent.
  parent_ref parent;

  /// Returns `"parent/<workflow>/<execution id>"`: one per parent.
  std::string primary_key() const {
    return "parent/" + parent.workflow + "/" + parent.execution_id;
  }
};

/// @relates wf_attach
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_attach& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_attach"), x.parent);
}

/// Asks the execution to stop and compensate.
struct wf_interrupt {
  /// Returns `"interrupt"`.
  std::string primary_key() const {
    return "interrupt";
  }
};

/// @relates wf_interrupt
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_interrupt&) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_interrupt"));
}

/// Resumes an execution suspended on a failure (one per send: the default
/// key).
struct wf_resume {
  /// A value unique per call, so the message is not empty.
  int64_t nonce = 0;
};

/// @relates wf_resume
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_resume& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_resume"), x.nonce);
}

/// Purges an ended execution at its retention deadline (persisted,
/// scheduled).
struct wf_purge {
  /// 0 for the retention deadline.
  int64_t nonce = 0;

  /// Returns `"purge"` (with `"/<nonce>"` for a non-zero nonce).
  std::string primary_key() const {
    return nonce == 0 ? std::string{"purge"} : "purge/" + std::to_string(nonce);
  }
};

/// @relates wf_purge
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_purge& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_purge"), x.nonce);
}

/// Purges an ended execution now (`client::purge`; volatile, because its
/// request and reply are deleted with the execution).
struct wf_purge_now {
  /// Unused; a message needs a member for CAF 0.17's inspectors.
  bool unused = false;
};

/// @relates wf_purge_now
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_purge_now& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_purge_now"), x.unused);
}

/// Reads the execution's state (volatile).
struct wf_poll {
  /// Unused; a message needs a member for CAF 0.17's inspectors.
  bool unused = false;
};

/// @relates wf_poll
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_poll& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_poll"), x.unused);
}

/// Registers `watcher` for a `wf_finished` when the execution ends
/// (volatile; kept in memory only, so watchers re-watch periodically).
struct wf_watch {
  /// The actor to notify.
  caf::actor watcher;
};

/// @relates wf_watch
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_watch& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_watch"), x.watcher);
}

/// Sent to watchers when the execution ends.
struct wf_finished {
  /// The execution id.
  std::string execution_id;

  /// The final state.
  wf_status status;
};

/// @relates wf_finished
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wf_finished& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.wf_finished"),
           x.execution_id, x.status);
}

struct run_state;

/// An advance that ran on the executor, back at its entity (local only).
struct wf_advanced {
  /// The advance.
  std::shared_ptr<run_state> st;

  /// The entity's number of the advance (answers a later one never).
  uint64_t seq = 0;

  /// How the advance ended (`advance_end`), -1 when the engine threw.
  int end = 0;
};

} // namespace caf_cluster::workflow::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(caf_cluster::workflow::detail::wf_advanced)

namespace caf_cluster::workflow::detail {

/// The interface of every execution entity.
using wf_actor
  = caf::typed_actor<caf::replies_to<wf_start>::with<wf_status>,
                     caf::replies_to<wf_step>::with<wf_status>,
                     caf::replies_to<wf_wake>::with<wf_status>,
                     caf::replies_to<wf_deferred>::with<wf_status>,
                     caf::replies_to<wf_child_done>::with<wf_status>,
                     caf::replies_to<wf_interrupt>::with<wf_status>,
                     caf::replies_to<wf_attach>::with<wf_status>,
                     caf::replies_to<wf_resume>::with<wf_status>,
                     caf::replies_to<wf_purge>::with<wf_status>,
                     caf::replies_to<wf_purge_now>::with<wf_status>,
                     caf::replies_to<wf_poll>::with<wf_status>,
                     caf::replies_to<wf_watch>::with<wf_status>,
                     caf::reacts_to<wf_advanced>>;

} // namespace caf_cluster::workflow::detail
