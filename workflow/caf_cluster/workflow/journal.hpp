// The journal of one execution: everything its body did, in order, with the
// results. It is the durable state of the execution's entity, stored with the
// reply of every trigger, so a replay after any crash sees exactly what was
// recorded. Public so that tools (cluster-ctl) can decode and show it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"

#include "caf_cluster/workflow/status.hpp"

namespace caf_cluster::workflow {

/// What a journaled step is.
enum class step_kind : uint8_t {
  /// One attempt of an activity, named `"<activity>/<attempt>"`.
  activity,
  /// A durable sleep.
  sleep,
  /// An await of a durable deferred.
  deferred,
  /// A child workflow, named `"<workflow>/<execution id>"`.
  child,
  /// A versioning marker (`context::patched`), named by its change id.
  patch,
  /// A compensation that ran (after a failure or an interrupt).
  compensation,
};

/// Returns the lower-case name of `x` (e.g. `"activity"`).
std::string to_string(step_kind x);

/// States of a journaled step.
namespace step_state {

/// Reached, no result yet (a sleep not due, a deferred not completed).
constexpr uint8_t pending = 0;

/// Done with a result (`journal_step::value`).
constexpr uint8_t ok = 1;

/// Done with an error (`journal_step::error`).
constexpr uint8_t failed = 2;

/// A sleep cleared by an interrupt: its wake-up does nothing.
constexpr uint8_t cleared = 3;

} // namespace step_state

/// One step of an execution, in the order the body first reached it.
struct journal_step {
  /// The kind of step.
  step_kind kind = step_kind::activity;

  /// The step's name (see `step_kind`).
  std::string name;

  /// One of `step_state`.
  uint8_t state = step_state::pending;

  /// The encoded result when `ok` (CAF binary serialization of the value).
  std::string value;

  /// The error when `failed`.
  caf::error error;

  /// Sleeps: when it is due (ms since the epoch, the cluster's clock).
  int64_t wake_ms = 0;

  /// When the step got its current state (ms since the epoch).
  int64_t recorded_ms = 0;

  /// Activities: the attempt number (1-based).
  int32_t attempt = 0;
};

/// Makes `journal_step` inspectable (CAF 0.17).
/// @relates journal_step
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, journal_step& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.journal_step"), x.kind,
           x.name, x.state, x.value, x.error, x.wake_ms, x.recorded_ms,
           x.attempt);
}

/// The workflow that awaits (or started) an execution.
struct parent_ref {
  /// The parent's workflow name; empty for a top-level execution.
  std::string workflow;

  /// The parent's execution id.
  std::string execution_id;

  /// The parent's shard group (empty: the entity group).
  std::string shard_group;

  /// Whether the parent does not wait for this execution.
  bool detached = false;
};

/// Makes `parent_ref` inspectable (CAF 0.17).
/// @relates parent_ref
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, parent_ref& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.parent_ref"), x.workflow,
           x.execution_id, x.shard_group, x.detached);
}

/// A completion that arrived before the body reached its step: a deferred
/// completed early, a child that finished, a sleep's wake-up.
struct early_completion {
  /// The step name it completes.
  std::string name;

  /// `step_state::ok` or `step_state::failed`.
  uint8_t state = step_state::ok;

  /// The encoded value when ok.
  std::string value;

  /// The error when failed.
  caf::error error;
};

/// Makes `early_completion` inspectable (CAF 0.17).
/// @relates early_completion
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, early_completion& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.early_completion"),
           x.name, x.state, x.value, x.error);
}

/// The durable state of one execution.
struct execution_journal {
  /// The workflow's name.
  std::string workflow;

  /// The execution id.
  std::string execution_id;

  /// The encoded payload.
  std::string payload;

  /// The awaiting or starting parent, if any.
  parent_ref parent;

  /// The state of the execution.
  execution_status status = execution_status::unknown;

  /// The steps in the order the body first reached them.
  std::vector<journal_step> steps;

  /// Completions of deferreds, children and clocks not yet reached.
  std::vector<early_completion> completions;

  /// Whether an interrupt was asked for.
  bool interrupt_requested = false;

  /// Whether the execution is suspended on a failure (suspend-on-failure).
  bool suspended_failed = false;

  /// The encoded result (`result_ok`) or typed failure of the body.
  std::string result;

  /// The engine's error when interrupted or failed without a typed failure
  /// (nondeterminism, a throwing body), or the cause of a suspension on
  /// failure.
  caf::error error;

  /// Whether `result` holds a result (else a typed failure, if non-empty).
  bool result_ok = false;

  /// When the execution started (ms since the epoch).
  int64_t started_ms = 0;

  /// When the journal last changed.
  int64_t updated_ms = 0;

  /// When the execution ended; 0 while it runs.
  int64_t completed_ms = 0;

  /// The sequence number of the next continuation (`wf_step`) message.
  int64_t next_step_seq = 0;

  /// How many times the body ran.
  int64_t replays = 0;

  /// How many times the execution was resumed after a failure.
  int32_t resumes = 0;

  /// Further awaiting parents (attached by `wf_attach`), told like `parent`
  /// when the execution ends.
  std::vector<parent_ref> parents;

  /// Whether the retention deadline passed: the execution is being deleted
  /// (it counts as unknown; every trigger asks for the deletion again).
  bool purged = false;
};

/// Makes `execution_journal` inspectable (CAF 0.17).
/// @relates execution_journal
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_journal& x) {
  return f(caf::meta::type_name("caf_cluster.workflow.execution_journal"),
           x.workflow, x.execution_id, x.payload, x.parent, x.status, x.steps,
           x.completions, x.interrupt_requested, x.suspended_failed, x.result,
           x.error, x.result_ok, x.started_ms, x.updated_ms, x.completed_ms,
           x.next_step_seq, x.replays, x.resumes, x.parents,
           x.purged);
}

} // namespace caf_cluster::workflow
