#include "counter_entity.hpp"

#include "caf/actor_system_config.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace counter {

void add_counter_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<increment>("counter.increment");
  cfg.add_message_type<decrement>("counter.decrement");
  cfg.add_message_type<get_value>("counter.get_value");
  cfg.add_message_type<counter_state>("counter.state");
}

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
