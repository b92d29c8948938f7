// An in-process network for runners that share one actor system: the test
// runner and the deterministic multi-runner tests. Routers
// register under their address in a shared `memory_network`; connecting is a
// map look-up, so everything stays on CAF's (possibly deterministic)
// scheduler.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "caf/actor.hpp"

#include "caf_cluster/transport.hpp"

namespace caf_cluster {

/// The address book of in-process runners; shared by their transports.
class memory_network {
public:
  /// Returns the router listening at `address`, or null.
  caf::actor find(const std::string& address) const;

  /// @private
  bool add(const std::string& address, const caf::actor& router);

  /// @private
  void remove(const std::string& address, const caf::actor& router);

private:
  mutable std::mutex mtx_;
  std::map<std::string, caf::actor> routers_;
};

/// Returns a transport on `network`. Listening needs an explicit port (there
/// are no real ports to pick from); an address can have one listener.
std::shared_ptr<transport>
make_memory_transport(std::shared_ptr<memory_network> network);

} // namespace caf_cluster
