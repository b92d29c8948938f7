// The errors every runner transport reports the same way, so that a caller
// sees one wording whichever `cluster.transport` is set.
#pragma once

#include <string>

#include "caf/actor_system.hpp"
#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/runner_address.hpp"

namespace caf_cluster::internal {

/// `errc::runner_unavailable` for peer `peer`, with why in `sys`'s words.
inline caf::error peer_unavailable(caf::actor_system& sys,
                                   const std::string& peer,
                                   const caf::error& why) {
  return caf::make_error(errc::runner_unavailable, peer, sys.render(why));
}

/// `errc::runner_unavailable` for a listener on `bind` that did not open.
inline caf::error cannot_listen(caf::actor_system& sys,
                                const runner_address& bind,
                                const caf::error& why) {
  return caf::make_error(errc::runner_unavailable,
                         "cannot listen on " + to_string(bind) + ": "
                           + sys.render(why));
}

/// The address `peer` names, or `peer_unavailable` with the parse error.
inline caf::expected<runner_address> peer_address(caf::actor_system& sys,
                                                  const std::string& peer) {
  auto addr = parse_runner_address(peer);
  if (!addr)
    return peer_unavailable(sys, peer, addr.error());
  return addr;
}

} // namespace caf_cluster::internal
