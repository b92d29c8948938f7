// Opens the runner storage a `cluster.storage` location names, so runners,
// clients and tools pick the backend from one string.
#pragma once

#include <memory>
#include <string_view>

#include "caf/expected.hpp"

#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/storage/sqlite_options.hpp"

namespace caf_cluster::storage {

/// Opens the runner storage at `uri` (`memory`, `sqlite:<path>`, with
/// `?share=1` setting `opts.share_file`, or `postgresql://...`, see
/// `parse_storage_uri`; a missing SQLite file is created, owner-only, unless
/// `opts.create_missing` is false; so is a missing PostgreSQL schema, and the
/// other `opts` apply to SQLite only).
/// @returns the driver, `errc::invalid_uri` for a malformed `uri`, or the
///          backend's error (`errc::open_failed` naming the path when the
///          file cannot be opened or created, `errc::corrupt` when it is
///          damaged, `errc::foreign_database` when it holds another
///          application's tables; for PostgreSQL the errors of
///          `make_postgres_runner_driver`).
caf::expected<std::shared_ptr<runner_driver>>
open_runner_driver(std::string_view uri, sqlite_options opts = {});

/// The runner and message storage of one cluster database.
struct cluster_storage {
  /// Runners and shard leases.
  std::shared_ptr<runner_driver> runners;
  /// Persisted messages, replies and durable state.
  std::shared_ptr<message_driver> messages;
};

/// Opens runner and message storage at `uri` on one database: two
/// connections to one SQLite file, two drivers on one memory store, or two
/// drivers sharing one PostgreSQL connection pool of `?pool=N` connections
/// (the message driver fences its writes with the runner storage's epochs).
/// @returns the drivers or the errors of `open_runner_driver`.
caf::expected<cluster_storage> open_cluster_storage(std::string_view uri,
                                                    sqlite_options opts = {});

} // namespace caf_cluster::storage
