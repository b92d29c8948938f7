// The dashboard's single page: HTML, CSS and script compiled into the
// binary, so a node serves it without files, a build step or any third-party
// origin (no CDN, no web fonts).
#pragma once

#include <string_view>

namespace caf_cluster::gateway::internal {

/// Returns the page of `GET /`: it carries no data, takes the token from
/// `#token=...` (kept in sessionStorage) or its input field, and polls
/// `/api/cluster` every second. DOM hooks for tests: each shard cell is
/// `.shard[data-shard][data-owner][data-draining]`, each runner
/// `tr.runner[data-address][data-alive][data-healthy][data-draining]`.
std::string_view dashboard_page() noexcept;

} // namespace caf_cluster::gateway::internal
