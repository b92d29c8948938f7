// How caf-cluster renders its errors: `category: code (context, ...)`. Lives in
// the lowest component so the core and storage categories share one format.
#pragma once

#include <string>
#include <string_view>

#include "caf/fwd.hpp"

namespace caf_cluster::storage {

/// Renders an error as `category: code_name (ctx1, ctx2)`; string context
/// elements appear without quotes, others in CAF's notation.
std::string render_error(std::string_view category, std::string_view code_name,
                         const caf::message& context);

} // namespace caf_cluster::storage
