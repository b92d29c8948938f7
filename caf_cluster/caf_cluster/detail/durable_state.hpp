// Access to a durable entity's state from its entity manager. The manager
// stores an entity's state together with the reply of each persisted message,
// but the state lives inside the entity actor, and reading it from the
// manager's thread would race with the entity. So the entity itself hands its
// state over, in its own thread, from a default handler the library installs
// (typed interfaces need no extra signature and users write nothing):
// - `(run_atom, msg)` runs `msg` through the entity's behaviour and answers
//   `(with_state_atom, reply, state)`: reply and state in one message. A
//   handler that answers later (a response promise) answers plainly, and the
//   manager then asks for the state with `snapshot_atom`.
// - `(snapshot_atom)` answers the encoded state.
// A new activation gets its stored state when it is spawned (see
// `entity_factory`): set right after its behaviour function returned, before
// its first message (so the function itself sees a fresh state).
#pragma once

#include <string>
#include <string_view>

#include "caf/atom.hpp"
#include "caf/detail/invoke_result_visitor.hpp"
#include "caf/error.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/message_view.hpp"
#include "caf/result.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/sec.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/message_codec.hpp"

namespace caf_cluster::detail {

/// `(snapshot_atom)` -> `std::string` (the state as `encode_value` writes
/// it), or `errc::malformed_message` when the state cannot be encoded.
using snapshot_atom = caf::atom_constant<caf::atom("cc_snap")>;

/// `(run_atom, caf::message msg)` -> `(with_state_atom, caf::message reply,
/// std::string state)` when `msg`'s handler answers at once and the state
/// encodes; otherwise the handler's own reply, later.
using run_atom = caf::atom_constant<caf::atom("cc_run")>;

/// Tags a reply that carries the entity's state (see `run_atom`).
using with_state_atom = caf::atom_constant<caf::atom("cc_wstate")>;

/// Captures what a message handler returned.
class captured_result : public caf::detail::invoke_result_visitor {
public:
  /// Whether the handler answered at once (a value, an error or nothing).
  bool answered = false;

  /// The answer, as CAF would have sent it.
  caf::message reply;

  void operator()() override {
    // A response promise or a delegation: the answer comes later.
  }

  void operator()(caf::error& x) override {
    answered = true;
    reply = caf::make_message(std::move(x));
  }

  void operator()(caf::message& x) override {
    answered = true;
    reply = std::move(x);
  }

  void operator()(const caf::none_t&) override {
    answered = true;
    reply = caf::message{};
  }
};

/// Runs `msg` through `self`'s current behaviour and returns the reply with
/// the state, or delegates the answer to the handler (see `run_atom`).
template <class State, class Base>
caf::result<caf::message> run_with_state(caf::stateful_actor<State, Base>* self,
                                         caf::message msg) {
  captured_result out;
  auto& bhvr = self->bhvr_stack().back();
  auto res = bhvr(out, msg.content());
  if (res != caf::match_case::match)
    return caf::make_error(caf::sec::unexpected_message);
  if (!out.answered)
    return caf::delegated<caf::message>{};
  auto bytes = encode_value(self->system(), self->state);
  if (!bytes)
    return std::move(out.reply); // the manager asks for the state and fails
  return caf::make_message(with_state_atom::value, std::move(out.reply),
                           std::move(*bytes));
}

/// Makes `self` answer `run_atom` and `snapshot_atom` (see above); every other
/// unexpected message gets CAF's default treatment.
/// @pre `State` was added with `add_message_type`.
template <class State, class Base>
void install_state_handler(caf::stateful_actor<State, Base>* self) {
  self->set_default_handler(
    [self](caf::scheduled_actor* ptr,
           caf::message_view& x) -> caf::result<caf::message> {
      auto& content = x.content();
      if (content.size() == 2 && content.template match_element<run_atom>(0)
          && content.template match_element<caf::message>(1))
        return run_with_state(self, content.template get_as<caf::message>(1));
      if (content.size() == 1
          && content.template match_element<snapshot_atom>(0)) {
        auto bytes = encode_value(self->system(), self->state);
        if (!bytes)
          return std::move(bytes.error());
        return caf::make_message(std::move(*bytes));
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

} // namespace caf_cluster::detail
