// Sender deadlines without CAF request timeouts (each one wakes CAF 0.17's
// clock thread and is never cancelled): an actor keeps its own deadlines and
// one timer for the earliest, armed again after each check. With equal
// timeouts that is one timer at a time.
#pragma once

#include "caf/actor_clock.hpp"

namespace caf_cluster::internal {

/// The pending timer of one actor's deadline checks.
class deadline_watch {
public:
  using time_point = caf::actor_clock::time_point;

  /// Makes sure a check runs at `deadline` or before: sends `msg` to `self`
  /// then, unless a check is due earlier already.
  template <class Self, class Msg>
  void watch(Self* self, time_point deadline, Msg msg) {
    if (deadline >= next_)
      return;
    next_ = deadline;
    self->delayed_send(self, deadline - self->clock().now(), msg);
  }

  /// The check ran: the next `watch` arms a new timer.
  void fired() noexcept {
    next_ = time_point::max();
  }

private:
  time_point next_ = time_point::max();
};

} // namespace caf_cluster::internal
