#include "deterministic/gate_entity.hpp"

#include <algorithm>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace caf_cluster::testing {

void gate_control::open(caf::actor_system& sys) {
  closed = false;
  auto xs = std::move(holders);
  holders.clear();
  // CAF enqueues need an execution context: sent from inside an actor.
  sys.spawn([xs](caf::event_based_actor* self) {
    for (auto& x : xs)
      self->send(caf::actor_cast<caf::actor>(x), value_atom::value);
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
      auto& g = gate();
      g.held.push_back({self->make_response_promise<int64_t>(), x,
                        self->address()});
      auto me = caf::actor_cast<caf::strong_actor_ptr>(self);
      if (std::find(g.holders.begin(), g.holders.end(), me) == g.holders.end())
        g.holders.push_back(me);
      return g.held.back().promise;
    },
    [=](value_atom) {
      // The gate's wake-up (or a count): send the replies held here.
      auto& g = gate();
      if (!g.closed) {
        std::vector<gate_control::held_reply> mine;
        for (auto i = g.held.begin(); i != g.held.end();) {
          if (i->holder == self->address()) {
            mine.push_back(std::move(*i));
            i = g.held.erase(i);
          } else {
            ++i;
          }
        }
        for (auto& r : mine)
          r.promise.deliver(r.value);
      }
      auto n = int64_t{0};
      for (auto& x : gate().ran)
        if (x.first == id)
          ++n;
      return n;
    },
  };
}

} // namespace caf_cluster::testing
