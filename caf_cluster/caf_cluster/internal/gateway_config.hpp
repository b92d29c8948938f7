// The checks of the cluster.http-* options, apart from the rest of
// sharding_config: the gateway is reachable by anyone who reaches its port,
// so its rules (token or loopback) get a file of their own.
#pragma once

#include "caf/error.hpp"

#include "caf_cluster/sharding_config.hpp"

namespace caf_cluster::internal {

/// Checks the cluster.http-* options of `cfg` against each other.
/// @returns `errc::invalid_config` with a one-line message naming the option.
caf::error check_gateway(const sharding_config& cfg);

} // namespace caf_cluster::internal
