#include "caf_cluster/internal/residency.hpp"

#include <algorithm>
#include <utility>

#include "caf/actor.hpp"
#include "caf/actor_cast.hpp"
#include "caf/send.hpp"

namespace caf_cluster::internal {

bool residency::try_enter() noexcept {
  if (cap_ <= 0) {
    count_.fetch_add(1);
    return true;
  }
  auto n = count_.load();
  do {
    if (n >= cap_)
      return false;
  } while (!count_.compare_exchange_weak(n, n + 1));
  return true;
}

void residency::leave() {
  count_.fetch_sub(1);
  // Sequentially consistent with `notify_on_room`: a manager registering now
  // sees the lower count, or this sees its registration.
  if (has_waiters_.load())
    notify_waiters();
}

void residency::notify_on_room(caf::actor_addr manager) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (std::find(waiters_.begin(), waiters_.end(), manager) == waiters_.end())
      waiters_.push_back(std::move(manager));
    has_waiters_.store(true);
  }
  if (cap_ <= 0 || count_.load() < cap_)
    notify_waiters();
}

void residency::notify_waiters() {
  std::vector<caf::actor_addr> xs;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    xs.swap(waiters_);
    has_waiters_.store(false);
  }
  for (auto& x : xs)
    if (auto hdl = caf::actor_cast<caf::actor>(x))
      caf::anon_send(hdl, room_atom::value);
}

} // namespace caf_cluster::internal
