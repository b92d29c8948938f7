// Without TLS anyone who reaches a runner's port can talk to it as a member;
// that is acceptable on loopback only, so any other address gets a warning.
#pragma once

#include <string>

#include "caf_cluster/runner_address.hpp"
#include "caf_cluster/sharding_config.hpp"

namespace caf_cluster::internal {

class logger;

/// Returns whether `host` can only be reached from this machine: an IPv4
/// address in 127.0.0.0/8, `::1` or `localhost`.
bool is_loopback_host(const std::string& host);

/// Logs a warning through `log` when the runner listens on `bind`, not a
/// loopback address, without TLS (`cfg` names no TLS files).
void warn_if_exposed(const logger& log, const sharding_config& cfg,
                     const runner_address& bind);

} // namespace caf_cluster::internal
