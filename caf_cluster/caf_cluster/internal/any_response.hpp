// A response handler that accepts every reply. Entity managers forward requests
// whose reply types they cannot know (they serve any typed interface), and
// CAF 0.17's `then` only takes handlers with concrete argument types.
#pragma once

#include <functional>

#include "caf/behavior.hpp"
#include "caf/fwd.hpp"

namespace caf_cluster::internal {

/// Returns a behavior that calls `f` with every message it receives, including
/// error replies (a message holding one `caf::error`).
caf::behavior any_response(std::function<void(caf::message&)> f);

} // namespace caf_cluster::internal
