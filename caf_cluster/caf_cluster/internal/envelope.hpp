// What routers send each other: batches of envelopes (messages for entities)
// and of reply envelopes. A batch per peer and per turn of the router's
// mailbox turns many asks into one BASP message, which is where the time of
// a remote ask goes (system calls and wake-ups, not our code).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/fwd.hpp"
#include "caf/message.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/internal/delivery.hpp"

namespace caf_cluster::internal {

/// A message for an entity on its way to the runner serving its shard.
struct envelope {
  /// The sending router's job (its reply correlation id).
  uint64_t job = 0;
  /// The job's attempt; replies to older attempts are ignored.
  uint32_t attempt = 0;
  std::string entity_type;
  std::string entity_id;
  caf::message payload;
  /// Time left until the sender's deadline.
  caf::timespan timeout{0};
  /// The send's identity and schedule.
  delivery meta;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope& x) {
  return f(caf::meta::type_name("caf_cluster.envelope"), x.job, x.attempt,
           x.entity_type, x.entity_id, x.payload, x.timeout, x.meta);
}

/// The reply to an envelope: the entity's reply message or an error.
struct reply_envelope {
  uint64_t job = 0;
  uint32_t attempt = 0;
  caf::message reply;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reply_envelope& x) {
  return f(caf::meta::type_name("caf_cluster.reply_envelope"), x.job,
           x.attempt, x.reply);
}

/// `(deliver_batch_atom, std::vector<envelope>)` between routers.
using deliver_batch_atom = caf::atom_constant<caf::atom("cc_batch")>;

/// `(reply_batch_atom, std::vector<reply_envelope>)` between routers.
using reply_batch_atom = caf::atom_constant<caf::atom("cc_replies")>;

/// A router's self-message: send the batches collected in this turn.
using flush_atom = caf::atom_constant<caf::atom("cc_flush")>;

/// Registers the envelope types with `cfg`, for the network.
void add_envelope_types(caf::actor_system_config& cfg);

} // namespace caf_cluster::internal
