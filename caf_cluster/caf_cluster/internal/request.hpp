// The one way the runtime sends a request whose reply type it cannot know:
// entity managers, the router and the singleton manager forward messages of
// any typed interface, and CAF 0.17's `request(...).then` only takes handlers
// with concrete argument types. No CAF request timeout is set: in CAF 0.17
// each one wakes the clock thread and is never cancelled, so callers keep
// their own deadlines (one timer each, see deadline_watch.hpp).
#pragma once

#include <functional>

#include "caf/actor.hpp"
#include "caf/actor_cast.hpp"
#include "caf/fwd.hpp"
#include "caf/message.hpp"
#include "caf/message_id.hpp"

namespace caf_cluster::internal {

/// Called with the reply, or with a message holding one `caf::error`.
using any_reply_handler = std::function<void(caf::message&)>;

/// Sends `msg` from `self` to `dest` as a request and calls `f` with
/// whatever comes back; returns the request's id.
caf::message_id request_any(caf::scheduled_actor* self,
                            const caf::strong_actor_ptr& dest, caf::message msg,
                            any_reply_handler f);

/// Like the above for an actor handle of any kind.
template <class Handle>
caf::message_id request_any(caf::scheduled_actor* self, const Handle& dest,
                            caf::message msg, any_reply_handler f) {
  return request_any(self, caf::actor_cast<caf::strong_actor_ptr>(dest),
                     std::move(msg), std::move(f));
}

} // namespace caf_cluster::internal
