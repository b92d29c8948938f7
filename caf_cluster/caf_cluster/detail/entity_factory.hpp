// How the sharding service makes entity and singleton actors from the
// functions users register: type-erased factories that the templates of
// `sharding` build and the runtime's managers call.
#pragma once

#include <functional>
#include <string>

#include "caf/actor.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/entity_address.hpp"
#include "caf_cluster/entity_context.hpp"

namespace caf_cluster::detail {

/// Spawns one entity actor from `manager` for `ctx.address()`. A durable
/// entity starts with the state encoded in `*state` (none: a fresh state).
/// @returns the actor, or `errc::malformed_message` when `*state` does not
///          decode as the entity's state type.
using entity_factory = std::function<caf::expected<caf::actor>(
  caf::local_actor* manager, entity_context ctx, const std::string* state)>;

/// Spawns one singleton actor from `manager` (which monitors it).
using singleton_factory = std::function<caf::actor(caf::local_actor* manager)>;

/// Makes entity actors turn exceptions into an `errc::entity_failed` exit
/// reason instead of CAF's default (which prints to stderr), so the caller
/// gets a cluster error and the manager re-activates the entity later.
void install_entity_exception_handler(caf::scheduled_actor* self,
                                      const entity_address& address);

} // namespace caf_cluster::detail

// Travels only inside the process (a local message to the singleton manager).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(caf_cluster::detail::singleton_factory)
