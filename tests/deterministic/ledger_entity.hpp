// A persisted entity with durable state for the deterministic tests: adds
// amounts (optionally under a caller's deduplication key) and reads its value.
#pragma once

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity.hpp"

namespace caf_cluster::testing {

/// Adds `amount` once per `key` (a persisted message with its own key).
struct keyed_add {
  int64_t amount = 0;
  std::string key;

  std::string primary_key() const {
    return key;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, keyed_add& x) {
  return f(caf::meta::type_name("test.ledger.keyed_add"), x.amount, x.key);
}

/// Reads the value (volatile).
using value_atom = caf::atom_constant<caf::atom("value")>;

/// `keyed_add` and a plain `int64_t` (default key: one per send) are
/// persisted; both reply with the new value.
using ledger_actor
  = caf::typed_actor<caf::replies_to<keyed_add>::with<int64_t>,
                     caf::replies_to<int64_t>::with<int64_t>,
                     caf::replies_to<value_atom>::with<int64_t>>;

/// The durable state of a ledger.
struct ledger_state {
  int64_t value = 0;
  int64_t applied = 0; // messages applied, to count double applications
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_state& x) {
  return f(caf::meta::type_name("test.ledger.state"), x.value, x.applied);
}

/// The Ledger entity type.
const entity<ledger_actor, ledger_state>& ledger_entity();

/// The Ledger behaviour.
ledger_actor::behavior_type
ledger_impl(ledger_actor::stateful_pointer<ledger_state> self);

} // namespace caf_cluster::testing
