#include "deterministic/ledger_entity.hpp"

#include "caf/typed_event_based_actor.hpp"

namespace caf_cluster::testing {

const entity<ledger_actor, ledger_state>& ledger_entity() {
  static const auto def = entity<ledger_actor>("Ledger")
                            .persisted<keyed_add, int64_t>()
                            .durable_state<ledger_state>();
  return def;
}

ledger_actor::behavior_type
ledger_impl(ledger_actor::stateful_pointer<ledger_state> self) {
  auto add = [self](int64_t amount) {
    self->state.value += amount;
    ++self->state.applied;
    return self->state.value;
  };
  return {
    [=](const keyed_add& x) { return add(x.amount); },
    [=](int64_t amount) { return add(amount); },
    [=](value_atom) { return self->state.value; },
  };
}


} // namespace caf_cluster::testing
