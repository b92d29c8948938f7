// Passivation: entities without messages for max_idle are stopped. Every
// entity of a type has the same max_idle, so the idle list (least recently
// active first) is also the order of their deadlines and one timer for its
// front suffices.
#include "caf_cluster/internal/entity_manager_state.hpp"

namespace caf_cluster::internal {

void manager_state::arm_idle_timer() {
  auto* front = idle.front();
  if (idle_timer_pending || front == nullptr)
    return;
  idle_timer_pending = true;
  auto delay = front->idle_since + cfg.max_idle - self->clock().now();
  self->delayed_send(self, delay, idle_atom::value);
}

void manager_state::on_idle_timer() {
  idle_timer_pending = false;
  auto now = self->clock().now();
  size_t stopped = 0;
  while (auto* front = idle.front()) {
    if (front->idle_since + cfg.max_idle > now)
      break;
    if (++stopped > stop_batch) {
      // Many entities went idle together: continue in a fresh message so
      // the manager keeps serving requests and the entities get to exit.
      idle_timer_pending = true;
      self->send(self, idle_atom::value);
      return;
    }
    cfg.counters->passivations.fetch_add(1, std::memory_order_relaxed);
    remove(*front);
  }
  arm_idle_timer();
}

} // namespace caf_cluster::internal
