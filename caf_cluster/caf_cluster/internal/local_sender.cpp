#include "caf_cluster/internal/local_sender.hpp"

#include <string>

#include "caf/actor_registry.hpp"
#include "caf/actor_system.hpp"
#include "caf/local_actor.hpp"

namespace caf_cluster::internal {

bool local_sender(const caf::local_actor* self,
                  const caf::strong_actor_ptr& x) {
  if (!x || x->node() != self->node() || x->id() == self->id())
    return false;
  // A registered actor is one a peer can name as the sender.
  return self->home_system().registry().get(x->id()) == nullptr;
}

void refusal_log::dropped(const logger& log, const char* what,
                          const caf::strong_actor_ptr& from) {
  uint64_t n = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    n = ++counts_[what];
  }
  if ((n & (n - 1)) != 0)
    return;
  log.warning("security", "dropped ", what, " from ",
              from ? caf::to_string(from) : std::string{"an anonymous sender"},
              ": not an actor of this runner (", n, " so far)");
}

} // namespace caf_cluster::internal
