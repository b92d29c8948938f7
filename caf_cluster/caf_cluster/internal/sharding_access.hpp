// Test hooks: reach the state behind a `sharding` handle and simulate a crash
// of its runner. Fault-injection tests run several runners in one process,
// where killing a process is not an option.
#pragma once

#include <memory>

#include "caf_cluster/internal/sharding_state.hpp"
#include "caf_cluster/sharding.hpp"

namespace caf_cluster::internal {

/// @private Access to a handle's state.
struct sharding_access {
  static std::shared_ptr<sharding_state> state(const sharding& x) {
    return x.state_;
  }
};

/// Stops the runner behind `st` as a crash would: its actors die at once, it
/// serves nothing and stops listening, and it neither releases its leases
/// nor unregisters (the others take over when the leases expire).
void simulate_crash(sharding_state& st);

} // namespace caf_cluster::internal
