// Access to a durable entity's state from its entity manager. The manager
// must store an entity's state together with the reply of each persisted
// message, but the state lives inside the entity actor. Reading it from the
// manager's thread would race with the entity (it may quit right after its
// reply), so the entity answers a snapshot request itself, in its own thread,
// from a default handler: typed interfaces need no extra signature and users
// write nothing.
#pragma once

#include <string>
#include <string_view>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/message_view.hpp"
#include "caf/result.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/unit.hpp"

#include "caf_cluster/message_codec.hpp"

namespace caf_cluster::internal {

/// `(snapshot_atom)` -> `std::string` (the state as `encode_value` writes
/// it), or `errc::malformed_message` when the state cannot be encoded.
using snapshot_atom = caf::atom_constant<caf::atom("cc_snap")>;

/// `(restore_atom, std::string)` -> `caf::unit` after replacing the state
/// with the decoded one, or `errc::malformed_message` (state left alone).
using restore_atom = caf::atom_constant<caf::atom("cc_restore")>;

template <class State, class Base>
caf::error restore_state(caf::stateful_actor<State, Base>* self,
                         std::string_view bytes);

/// Makes `self` answer `snapshot_atom` with its encoded state and
/// `restore_atom` by replacing it; every other unexpected message gets CAF's
/// default treatment.
/// @pre `State` was added with `add_message_type`.
template <class State, class Base>
void install_state_handler(caf::stateful_actor<State, Base>* self) {
  self->set_default_handler(
    [self](caf::scheduled_actor* ptr,
           caf::message_view& x) -> caf::result<caf::message> {
      auto& content = x.content();
      if (content.size() == 1
          && content.template match_element<snapshot_atom>(0)) {
        auto bytes = encode_value(self->system(), self->state);
        if (!bytes)
          return std::move(bytes.error());
        return caf::make_message(std::move(*bytes));
      }
      if (content.size() == 2
          && content.template match_element<restore_atom>(0)
          && content.template match_element<std::string>(1)) {
        if (auto err = restore_state(self, content.template get_as<std::string>(1)))
          return err;
        return caf::make_message(caf::unit);
      }
      return caf::print_and_drop(ptr, x);
    });
}

/// Replaces the state of `self` with the one encoded in `bytes`.
/// @returns `errc::malformed_message` when `bytes` do not decode as a
///          `State` (the state is left alone then).
template <class State, class Base>
caf::error restore_state(caf::stateful_actor<State, Base>* self,
                         std::string_view bytes) {
  auto x = decode_value<State>(self->system(), bytes);
  if (!x)
    return std::move(x.error());
  self->state = std::move(*x);
  return caf::none;
}

} // namespace caf_cluster::internal
