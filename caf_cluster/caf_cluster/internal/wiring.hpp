// How a node's actors are started and connected: a single runner (every
// shard its own, optionally with message storage) or a clustered runner or
// client-only node (router, shard manager, message storage, recovery). The
// order matters and is written down once, here.
#pragma once

#include <memory>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/internal/runtime.hpp"

namespace caf_cluster::internal {

/// Starts a single runner with validated `cfg`. With `cfg.storage` set to
/// `sqlite:<path>` it opens that database for message storage (persisted
/// messages and durable state, without a port).
caf::expected<std::shared_ptr<runtime>>
start_single(caf::actor_system& sys, sharding_config cfg,
             std::shared_ptr<wall_clock> clock);

/// Starts a clustered runner (or a client-only node) with validated `cfg`
/// and complete `opts`.
caf::expected<std::shared_ptr<runtime>>
start_runner(caf::actor_system& sys, sharding_config cfg, runner_options opts,
             std::shared_ptr<wall_clock> clock);

} // namespace caf_cluster::internal
