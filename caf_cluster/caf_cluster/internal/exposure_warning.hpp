// Without TLS anyone who reaches a runner's port can talk to it as a member;
// that is acceptable on loopback only, so any other address gets a warning.
#pragma once

#include <string>

#include "caf_cluster/runner_address.hpp"

namespace caf_cluster::internal {

/// Returns whether `host` can only be reached from this machine: an IPv4
/// address in 127.0.0.0/8, `::1` or `localhost`.
bool is_loopback_host(const std::string& host);

/// Returns the warning for a socket runner listening on `bind` (with TLS
/// when `tls`), or an empty string when it is on loopback or uses TLS.
std::string socket_exposure(const runner_address& bind, bool tls);

/// Returns the warning for a runner listening on `bind` with the transport
/// `name` (`websocket` or `http`, which have no TLS), or an empty string when
/// it is on loopback.
std::string frame_exposure(const runner_address& bind, const std::string& name);

} // namespace caf_cluster::internal
