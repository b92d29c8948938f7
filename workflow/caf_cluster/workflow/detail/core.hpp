// The non-template core behind the workflow templates: type-erased workflow
// specs, the registration of execution entities, and the client operations on
// encoded payloads. The templates in engine.hpp, client.hpp and context.hpp
// only encode, decode and forward to these functions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "caf/actor.hpp"
#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/workflow/detail/messages.hpp"
#include "caf_cluster/workflow/executor.hpp"
#include "caf_cluster/workflow/journal.hpp"

namespace caf_cluster::workflow {

class context;

} // namespace caf_cluster::workflow

namespace caf_cluster::workflow::detail {

/// The result of a journaled step as the context hands it to templates.
struct step_value {
  /// `step_state::ok` or `step_state::failed`.
  uint8_t state = step_state::ok;

  /// The encoded value when ok.
  std::string value;

  /// The error when failed.
  caf::error error;
};

/// What a type-erased body returned.
struct body_result {
  /// Whether the body returned a result (else a typed failure).
  bool ok = false;

  /// The encoded result or typed failure.
  std::string value;

  /// Set when the payload could not be decoded or the result not encoded.
  caf::error error;
};

/// A workflow as the engine runs it: its options and its type-erased body.
struct workflow_spec {
  /// The workflow's name.
  std::string name;

  /// Its shard group (empty: the entity group).
  std::string shard_group;

  /// Whether failures suspend.
  bool suspend_on_failure = false;

  /// Purge delay after completion; none: keep.
  std::optional<caf::timespan> retention;

  /// Passivation timeout of the execution entity.
  caf::timespan max_idle = std::chrono::seconds{10};

  /// Where advances run.
  std::shared_ptr<executor> exec;

  /// Runs the body on an encoded payload.
  std::function<body_result(context&, const std::string&)> body;
};

/// One execution, as clients address it.
struct execution_ref {
  /// The workflow's name.
  std::string workflow;

  /// The execution id.
  std::string execution_id;

  /// The workflow's shard group (empty: the entity group).
  std::string shard_group;
};

/// The entity definition of the executions of workflow `name` in `group`.
entity<wf_actor, execution_journal>
execution_entity(const std::string& name, const std::string& group,
                 caf::timespan max_idle = std::chrono::seconds{10});

/// Registers the execution entity of `spec` with `cluster`.
caf::error add_workflow(sharding& cluster,
                        std::shared_ptr<const workflow_spec> spec);

/// Starts (or joins) the execution `ref` with `payload` and waits up to
/// `timeout` until it ends; blocking.
caf::expected<wf_status> execute(const sharding& cluster,
                                 const execution_ref& ref, std::string payload,
                                 caf::timespan timeout);

/// Spawns the awaiter of `ref`: it starts (or joins) the execution with
/// `payload`, watches it and answers a `caf::get_atom` request with the
/// final `wf_status` (or `errc::timeout` after `timeout`).
caf::actor spawn_awaiter(const sharding& cluster, const execution_ref& ref,
                         std::string payload, caf::timespan timeout);

/// Starts (or joins) the execution `ref` without waiting for its end;
/// returns once the start is stored and processed.
caf::error start(const sharding& cluster, const execution_ref& ref,
                 std::string payload, caf::timespan timeout);

/// Reads the state of `ref`.
caf::expected<wf_status> poll(const sharding& cluster, const execution_ref& ref,
                              caf::timespan timeout);

/// Sends a control message (`wf_interrupt`, `wf_resume`, `wf_purge`) to `ref`.
caf::error interrupt(const sharding& cluster, const execution_ref& ref,
                     caf::timespan timeout);

/// @copydoc interrupt
caf::error resume(const sharding& cluster, const execution_ref& ref,
                  caf::timespan timeout);

/// @copydoc interrupt
caf::error purge(const sharding& cluster, const execution_ref& ref,
                 caf::timespan timeout);

/// Completes the deferred of `token` (text form) with `x`.
caf::error complete_deferred(const sharding& cluster, std::string_view token,
                             wf_deferred x, caf::timespan timeout);

/// Turns a final `wf_status` of an engine failure into its error
/// (`workflow_interrupted`, `nondeterministic_workflow`, ...); none when the
/// status carries the body's outcome.
caf::error engine_error(const wf_status& st);

} // namespace caf_cluster::workflow::detail
