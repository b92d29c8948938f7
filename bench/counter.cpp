#include "counter.hpp"

#include "caf/actor_system_config.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace bench {

void add_bench_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<add>("bench.add");
  cfg.add_message_type<counter_state>("bench.counter_state");
}

counter_actor::behavior_type
counter_impl(counter_actor::stateful_pointer<counter_state> self) {
  return {
    [=](add x) { return self->state.value += x.amount; },
  };
}

} // namespace bench
