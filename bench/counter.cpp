#include "counter.hpp"

#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace bench {

counter_actor::behavior_type
counter_impl(counter_actor::stateful_pointer<counter_state> self) {
  return {
    [=](add x) { return self->state.value += x.amount; },
  };
}

} // namespace bench
