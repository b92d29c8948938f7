// Runner storage in a PostgreSQL database shared by runners on any hosts:
// registration, heartbeats and shard leases with fencing epochs, each
// operation one transaction that locks the rows it decides on.
#pragma once

#include <memory>
#include <string_view>

#include "caf/expected.hpp"

#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::storage {

/// Opens runner storage in the PostgreSQL database that `uri` names
/// (`postgresql://[USER@]HOST[:PORT]/DB[?OPTIONS]`, see `parse_storage_uri`)
/// on a connection pool of its own, creating or migrating the cluster's
/// tables in the URI's schema; with `create_missing` false nothing is
/// written and a schema without the cluster's tables (a typo, say) is
/// refused.
/// @returns the driver; `errc::invalid_uri` when `uri` is malformed or not
///          a PostgreSQL location; `errc::invalid_argument` for a password
///          file that is missing, empty or readable by others;
///          `errc::io_error` naming the server when it cannot be reached or
///          refuses the login; `errc::open_failed` for a schema written by a
///          newer release (or, with `create_missing` false, one without the
///          cluster's tables at this release's version).
caf::expected<std::unique_ptr<runner_driver>>
make_postgres_runner_driver(std::string_view uri, bool create_missing = true);

} // namespace caf_cluster::storage
