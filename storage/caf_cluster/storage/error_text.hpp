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

/// Returns `text` with control bytes written as `\xNN`, so that user input
/// echoed in a message keeps the message on one line.
std::string printable(std::string_view text);

/// Returns `text` in double quotes, with control bytes as `\xNN` and `"` and
/// `\` escaped: how error messages quote user input.
std::string quoted(std::string_view text);

} // namespace caf_cluster::storage
