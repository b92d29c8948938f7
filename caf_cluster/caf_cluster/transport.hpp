// How runners reach each other. The sharding runtime only needs two things
// from a network: make this runner's router reachable under its address, and
// turn a peer's address into an actor handle. Keeping that behind an interface
// lets the CAF middleman (BASP over TCP), the in-process test network and
// later transports (HTTP/WebSocket, TLS) slot in without touching routing.
#pragma once

#include <functional>
#include <string>

#include "caf/actor.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/runner_address.hpp"

namespace caf_cluster {

/// A runner-to-runner network. One instance serves one runner.
class transport {
public:
  /// Called with the peer's router, or an error.
  using connect_callback = std::function<void(caf::expected<caf::actor>)>;

  virtual ~transport();

  /// Makes `router` reachable to peers: listens on `bind` and returns the
  /// address peers must use (`advertised`, with the bound port when
  /// `advertised.port` is 0).
  /// @returns `errc::runner_unavailable` naming the address when it cannot
  ///          listen (port in use, no such interface).
  virtual caf::expected<runner_address> listen(const caf::actor& router,
                                               const runner_address& bind,
                                               const runner_address& advertised)
    = 0;

  /// Stops listening; idempotent.
  virtual void close() = 0;

  /// Returns why listening on `bind` lets strangers talk to the runner, for
  /// a warning at start, or an empty string; the default (a transport that
  /// is no network) has nothing to say.
  virtual std::string exposure(const runner_address& bind) const;

  /// Resolves the router of the runner at `peer` for `self` and calls `done`
  /// in `self`'s context, at most once; failures are
  /// `errc::runner_unavailable` naming `peer`.
  virtual void connect(caf::scheduled_actor* self, const std::string& peer,
                       connect_callback done)
    = 0;
};

} // namespace caf_cluster
