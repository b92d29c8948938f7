// Member templates of `manager_state` that more than one of its files use.
#pragma once

#include <algorithm>

#include "caf_cluster/internal/request.hpp"

namespace caf_cluster::internal {

template <class F>
void manager_state::ask_entity(entity_slot& slot, caf::message msg, F f) {
  // Captures the id, not the slot: the slot may be gone when a late reply
  // arrives (its entity died and the manager moved on).
  auto id = *slot.id;
  auto seq = slot.request_seq = next_request_seq++;
  request_any(self, slot.actor, std::move(msg),
              [this, id, seq, f](caf::message& reply) mutable {
                auto i = entities.find(id);
                if (i == entities.end() || i->second.request_seq != seq)
                  return;
                auto& s = i->second;
                if (s.running())
                  f(s, reply);
              });
}

template <class Pred>
void manager_state::bounce_joiners(Pred pred, std::optional<int64_t> only) {
  auto now = self->clock().now();
  joiners.take_if(
    pred,
    [&](joiner& x) {
      if (!x.msg.answered)
        bounce(x.id, x.shard, x.msg, now);
      cfg.occupancy->leave(x.shard);
    },
    only);
}

template <class Pred>
void manager_state::bounce_scheduling(Pred pred) {
  auto now = self->clock().now();
  for (auto i = scheduling.begin(); i != scheduling.end();) {
    if (!pred(i->second)) {
      ++i;
      continue;
    }
    if (!i->second.msg.answered)
      bounce(i->second.id, i->second.shard, i->second.msg, now);
    cfg.occupancy->leave(i->second.shard);
    i = scheduling.erase(i);
  }
}

} // namespace caf_cluster::internal
