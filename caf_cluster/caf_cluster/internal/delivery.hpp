// What travels with every message for an entity besides its payload: the
// identity that makes retries of one send recognisable (so persisted messages
// are processed once per send even when the router retries them at another
// runner) and the earliest delivery time of a scheduled message.
#pragma once

#include <cstdint>
#include <string>

#include "caf/meta/type_name.hpp"

namespace caf_cluster::internal {

/// Delivery metadata of one send.
struct delivery {
  /// The send's id: a snowflake of the node where the send entered the
  /// cluster (0 until that node assigns it). Retries keep it.
  int64_t request_id = 0;

  /// A random number of that node, so that ids of nodes without a runner
  /// registration (client-only nodes share machine id 0) never collide.
  uint64_t origin = 0;

  /// The first instant (ms since the epoch, the cluster's clock) at which a
  /// persisted message may be delivered; 0 delivers at once.
  int64_t deliver_at_ms = 0;

  /// The default primary key of a persisted message: the send's identity.
  std::string default_key() const;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery& x) {
  return f(caf::meta::type_name("caf_cluster.delivery"), x.request_id,
           x.origin, x.deliver_at_ms);
}

} // namespace caf_cluster::internal
