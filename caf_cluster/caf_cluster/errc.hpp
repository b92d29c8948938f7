// Error codes of caf-cluster. Every failure the runtime reports to a caller is a
// caf::error of category `cluster` with one of these codes plus a context
// message (entity address, runner, the storage's message, ...).
#pragma once

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/fwd.hpp"
#include "caf/make_message.hpp"
#include "caf/message.hpp"

namespace caf_cluster {

/// Error codes of the `cluster` error category.
enum class errc : uint8_t {
  /// The target runner does not hold the shard of the addressed entity.
  entity_not_assigned_to_runner = 1,
  /// A payload, reply or stored row could not be decoded.
  malformed_message,
  /// Message or runner storage failed; the context holds the storage's message.
  persistence_error,
  /// A runner is not (or no longer) registered in runner storage.
  runner_not_registered,
  /// A runner could not be reached over the transport, or no live runner is
  /// registered in runner storage at all (a client's send fails at once with
  /// "no live runner is registered in <storage>").
  runner_unavailable,
  /// A volatile message found the entity's mailbox holding
  /// `mailbox_capacity` messages already, or would activate a new entity on a
  /// runner at `cluster.max-resident-entities` with no idle entity to
  /// passivate. Persisted messages never get it: they wait in storage.
  mailbox_full,
  /// A message with the same request id is already being processed.
  already_processing_message,
  /// Sharding is shutting down (or has shut down) and takes no new messages.
  shutting_down,
  /// No reply arrived within the caller's timeout.
  timeout,
  /// A configuration value is out of range; the context names the option.
  invalid_config,
  /// No entity of this type is registered with the sharding service.
  unknown_entity_type,
  /// An argument is malformed: an empty or non-UTF-8 entity id, one longer
  /// than `cluster.max-entity-id-length`, a bad shard id string, a duplicate
  /// registration.
  invalid_argument,
  /// An entity's handler threw; the entity was stopped and is re-activated
  /// with fresh state on its next message.
  entity_failed,
  /// A message's serialized payload exceeds `cluster.max-message-size`; the
  /// context names both sizes.
  message_too_large,
  /// A control message came from an actor that is neither part of this
  /// runner nor the router of a live registered runner; it was dropped.
  forbidden,
  /// A workflow's replay reached a different step (activity, sleep, deferred,
  /// child) than its journal recorded at that position; the context names
  /// both. The execution ends failed instead of taking a new branch.
  nondeterministic_workflow,
  /// The workflow execution was interrupted (its compensations ran).
  workflow_interrupted,
  /// The operation is not offered by this backend, e.g. an activity in a
  /// storage transaction on the in-memory message storage.
  unsupported,
};

/// Returns the name of `x`, e.g. `"mailbox_full"`.
std::string to_string(errc x);

/// The CAF error category of `errc`.
constexpr caf::atom_value errc_category = caf::atom("cluster");

/// Registers the `cluster` error category with `cfg` so that
/// `actor_system::render` prints `cluster: mailbox_full (...)`.
void add_error_category(caf::actor_system_config& cfg);

} // namespace caf_cluster

CAF_ERROR_CODE_ENUM(caf_cluster::errc, "cluster")
