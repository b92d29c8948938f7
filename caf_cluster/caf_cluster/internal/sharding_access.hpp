// Test hooks: reach the state behind a `sharding` handle (and through it
// `simulate_crash`). Fault-injection tests run several runners in one
// process, where killing a process is not an option.
#pragma once

#include <memory>

#include "caf_cluster/internal/runtime.hpp"
#include "caf_cluster/sharding.hpp"

namespace caf_cluster::internal {

/// @private Access to a handle's state.
struct sharding_access {
  static std::shared_ptr<runtime> state(const sharding& x) {
    return x.state_;
  }
};

} // namespace caf_cluster::internal
