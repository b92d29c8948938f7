#include "counter_entity.hpp"

#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace counter {

counter_actor::behavior_type
counter_impl(counter_actor::stateful_pointer<counter_state> self,
             caf_cluster::entity_context) {
  return {
    [=](increment x) { return self->state.value += x.amount; },
    [=](decrement x) { return self->state.value -= x.amount; },
    [=](get_value) { return self->state.value; },
  };
}

} // namespace counter
