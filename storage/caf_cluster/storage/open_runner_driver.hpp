// Opens the runner storage a `cluster.storage` location names, so runners,
// clients and tools pick the backend from one string.
#pragma once

#include <memory>
#include <string_view>

#include "caf/expected.hpp"

#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/storage/sqlite_options.hpp"

namespace caf_cluster::storage {

/// Opens the runner storage at `uri` (`memory` or `sqlite:<path>`; a missing
/// SQLite file is created).
/// @returns the driver, `errc::invalid_uri` for a malformed `uri`, or the
///          backend's error (`errc::open_failed` naming the path when the
///          file cannot be opened or created).
caf::expected<std::shared_ptr<runner_driver>>
open_runner_driver(std::string_view uri, sqlite_options opts = {});

} // namespace caf_cluster::storage
