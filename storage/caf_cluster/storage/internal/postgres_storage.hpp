// Opening the PostgreSQL backend: one connection pool per location, its
// schema migrated, shared by the runner and the message driver of a runner
// (`open_cluster_storage`).
#pragma once

#include <memory>

#include "caf/expected.hpp"

#include "caf_cluster/storage/internal/postgres_pool.hpp"
#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/storage/storage_uri.hpp"

namespace caf_cluster::storage::internal {

/// Makes the pool for `loc`: reads its password file if it names one,
/// connects once (so that a wrong location fails here), creates or migrates
/// the schema (unless `create_missing` is false: then a schema without the
/// cluster's tables is refused and nothing is written), and prepares the
/// drivers' statements on every connection.
/// @returns the pool; `errc::invalid_argument` for a password file that is
///          missing, empty or readable by others; `errc::io_error` naming
///          the server when it cannot be reached or refuses the login;
///          `errc::open_failed` for a schema of a newer release, or one
///          without the cluster's tables when `create_missing` is false.
caf::expected<std::shared_ptr<postgres_pool>>
open_postgres_pool(const postgres_location& loc, bool create_missing = true);

/// Makes runner storage on `pool`.
std::unique_ptr<runner_driver>
make_postgres_runner_driver(std::shared_ptr<postgres_pool> pool);

/// Makes message storage on `pool`.
std::unique_ptr<message_driver>
make_postgres_message_driver(std::shared_ptr<postgres_pool> pool);

} // namespace caf_cluster::storage::internal
