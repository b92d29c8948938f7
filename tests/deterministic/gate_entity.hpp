// A persisted test entity that can be held busy: while the gate is closed a
// message it takes does not reply (so its entity takes no other message)
// until the test opens the gate. It logs every message it runs, in order.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_response_promise.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_context.hpp"

#include "deterministic/ledger_entity.hpp"

namespace caf_cluster::testing {

/// An `int64_t` is persisted (default key: one per send) and replies with
/// itself; `value_atom` is volatile and replies with the messages run.
using gate_actor
  = caf::typed_actor<caf::replies_to<int64_t>::with<int64_t>,
                     caf::replies_to<value_atom>::with<int64_t>>;

/// The gate shared by the gate entities of one process (reset per test).
struct gate_control {
  /// Whether messages wait for the gate to open.
  bool closed = false;

  /// `(entity id, message)` of every message run, in the order they ran.
  std::vector<std::pair<std::string, int64_t>> ran;

  /// A reply held while the gate was closed.
  struct held_reply {
    caf::typed_response_promise<int64_t> promise;
    int64_t value;
    caf::actor_addr holder;
  };

  /// The replies held while the gate was closed.
  std::vector<held_reply> held;

  /// The gates that hold replies (to wake them when the gate opens).
  std::vector<caf::strong_actor_ptr> holders;

  /// Opens the gate: each holding gate gets a wake-up and sends its held
  /// replies itself (a promise delivered from another actor would run in that
  /// actor's stale execution context under the test coordinator).
  void open(caf::actor_system& sys);
};

/// The gate of this process.
gate_control& gate();

/// The Gate entity type.
const entity<gate_actor>& gate_entity();

/// The Gate behaviour.
gate_actor::behavior_type gate_impl(gate_actor::pointer self,
                                    entity_context ctx);

} // namespace caf_cluster::testing
