#include "deterministic/gate_entity.hpp"

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace caf_cluster::testing {

void gate_control::open(caf::actor_system& sys) {
  closed = false;
  auto xs = std::move(held);
  held.clear();
  // CAF enqueues need an execution context: delivered from inside an actor.
  sys.spawn([xs](caf::event_based_actor*) mutable {
    for (auto& [promise, value] : xs)
      promise.deliver(value);
  });
}

gate_control& gate() {
  static gate_control instance;
  return instance;
}

const entity<gate_actor>& gate_entity() {
  static const auto def = entity<gate_actor>("Gate").persisted<int64_t>();
  return def;
}

gate_actor::behavior_type gate_impl(gate_actor::pointer self,
                                    entity_context ctx) {
  auto id = ctx.address().entity_id;
  return {
    [=](int64_t x) -> caf::result<int64_t> {
      gate().ran.emplace_back(id, x);
      if (!gate().closed)
        return x;
      gate().held.emplace_back(self->make_response_promise<int64_t>(), x);
      return gate().held.back().first;
    },
    [=](value_atom) {
      auto n = int64_t{0};
      for (auto& x : gate().ran)
        if (x.first == id)
          ++n;
      return n;
    },
  };
}

} // namespace caf_cluster::testing
