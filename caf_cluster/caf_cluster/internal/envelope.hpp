// What routers send each other: batches of envelopes (sends for entities) and
// of reply envelopes. A batch per peer and per turn of the router's mailbox
// turns many asks into one BASP message, which is where the time of a remote
// ask goes (system calls and wake-ups, not our code).
#pragma once

#include <cstdint>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/message.hpp"
#include "caf/meta/type_name.hpp"

#include "caf_cluster/detail/send.hpp"

namespace caf_cluster::internal {

/// A send on its way to the runner serving its shard.
struct envelope {
  /// The sending router's job (its reply correlation id).
  uint64_t job = 0;
  /// The job's attempt; replies to older attempts are ignored.
  uint32_t attempt = 0;
  /// The send, with the time left until its sender's deadline.
  detail::entity_send send;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope& x) {
  return f(caf::meta::type_name("caf_cluster.envelope"), x.job, x.attempt,
           x.send);
}

/// The reply to an envelope: the entity's reply message or an error.
struct reply_envelope {
  uint64_t job = 0;
  uint32_t attempt = 0;
  caf::message reply;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reply_envelope& x) {
  return f(caf::meta::type_name("caf_cluster.reply_envelope"), x.job, x.attempt,
           x.reply);
}

/// Registers the types routers exchange with `cfg`, for the network.
void add_envelope_types(caf::actor_system_config& cfg);

} // namespace caf_cluster::internal
