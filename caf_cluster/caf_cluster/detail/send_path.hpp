// What an entity client needs from the sharding service of its node: where a
// send goes first. The service implements it; clients hold it weakly, so a
// client outliving the service fails its sends instead of keeping it alive.
#pragma once

#include <string>

#include "caf/fwd.hpp"
#include "caf/replies_to.hpp"
#include "caf/timespan.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/detail/send.hpp"

namespace caf_cluster::detail {

/// The facet that every first stop of a send has (an entity manager, the
/// singleton manager, the router, the refuser): it takes the send and
/// answers with the entity's reply or an error. The reply's type depends on
/// the entity's interface, so the signature declares none.
using deliver_actor
  = caf::typed_actor<caf::reacts_to<deliver_atom, entity_send>>;

/// The sending side of a sharding service.
class send_path {
public:
  virtual ~send_path();

  /// Returns the actor system of the service.
  virtual caf::actor_system& system() const noexcept = 0;

  /// Returns `cluster.send-timeout`.
  virtual caf::timespan send_timeout() const noexcept = 0;

  /// Completes `x` where it enters the cluster: computes its shard once,
  /// gives a persisted message its identity, and returns the first stop:
  /// the local manager of the type when this runner serves the shard,
  /// else the router, else (single runner without the type, or shut down)
  /// an actor that refuses it with the reason.
  virtual deliver_actor prepare(entity_send& x) const = 0;

  /// Records that a blocking ask for `entity_type` took `elapsed` from its
  /// `prepare` until its reply (the ask latency of the node's metrics).
  virtual void observe_ask(const std::string& entity_type,
                           caf::timespan elapsed) const = 0;
};

} // namespace caf_cluster::detail
