#include "caf_cluster/internal/entity_slot.hpp"

namespace caf_cluster::internal {

const char* to_string(slot_state x) noexcept {
  switch (x) {
    case slot_state::idle:
      return "idle";
    case slot_state::waiting:
      return "waiting";
    case slot_state::loading:
      return "loading";
    case slot_state::running:
      return "running";
    case slot_state::finishing:
      return "finishing";
  }
  return "?";
}

bool allowed(slot_state from, slot_state to) noexcept {
  using s = slot_state;
  switch (from) {
    case s::idle:
      return to == s::waiting;
    case s::waiting:
      // Idle once the queue ran dry; loading a new durable activation;
      // running the head.
      return to == s::idle || to == s::loading || to == s::running;
    case s::loading:
      // The state is in and the entity spawned with it.
      return to == s::waiting;
    case s::running:
      // Replied (finishing a persisted message), done, or bounced off a
      // quit entity and retried.
      return to == s::finishing || to == s::waiting;
    case s::finishing:
      return to == s::waiting;
  }
  return false;
}

void slot_list::push_back(entity_slot* x) noexcept {
  auto& l = x->*links_;
  if (l.linked)
    return;
  l.prev = tail_;
  l.next = nullptr;
  if (tail_)
    (tail_->*links_).next = x;
  else
    head_ = x;
  tail_ = x;
  l.linked = true;
}

void slot_list::erase(entity_slot* x) noexcept {
  auto& l = x->*links_;
  if (!l.linked)
    return;
  (l.prev ? (l.prev->*links_).next : head_) = l.next;
  (l.next ? (l.next->*links_).prev : tail_) = l.prev;
  l.prev = l.next = nullptr;
  l.linked = false;
}

} // namespace caf_cluster::internal
