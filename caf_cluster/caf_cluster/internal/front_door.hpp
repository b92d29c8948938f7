// The entry points that are not typed clients: the front door that
// `sharding::route` hands to gateways and tools (it takes the untyped public
// shape and passes the send on exactly as a client would), and the refuser
// that answers sends nobody here can take.
//
// ~~~
// deliver_atom, entity_type, entity_id, caf::message[, caf::timespan timeout]
//     -> the entity's reply, or an error (front door and refuser)
// deliver_atom, detail::entity_send -> an error (refuser)
// ~~~
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "caf/fwd.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/detail/send_path.hpp"
#include "caf_cluster/internal/node_context.hpp"

namespace caf_cluster::internal {

/// The front door.
using front_door_actor = caf::typed_actor<
  caf::reacts_to<deliver_atom, std::string, std::string, caf::message>,
  caf::reacts_to<deliver_atom, std::string, std::string, caf::message,
                 caf::timespan>>;

/// The refuser.
using refuser_actor
  = front_door_actor::extend<caf::reacts_to<deliver_atom, detail::entity_send>>;

/// Spawns the front door of `path`.
front_door_actor spawn_front_door(caf::actor_system& sys,
                                  std::weak_ptr<detail::send_path> path);

/// Spawns an actor that refuses every send: a send beyond the limits of
/// `node`'s configuration with the limit's error (`invalid_argument`,
/// `message_too_large`), any other with `errc::shutting_down` once
/// `shutting_down` is set, else with `errc::unknown_entity_type`.
refuser_actor spawn_refuser(caf::actor_system& sys,
                            std::shared_ptr<std::atomic<bool>> shutting_down,
                            node_ptr node);

} // namespace caf_cluster::internal
