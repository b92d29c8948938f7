// The upkeep half of the SQLite message driver, apart from its reads and
// writes of messages: the retention sweep (the retention sweeper's timer)
// and the size of the tables it keeps bounded (cluster-ctl tables).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "caf_cluster/storage/internal/retention_rules.hpp"
#include "caf_cluster/storage/internal/sqlite_message_schema.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::storage::internal {

/// Stamps unstamped processed requests with `now_ms` and deletes those past
/// their retention with their replies, at most `limit` rows; runs inside the
/// driver's write transaction on the connection `st` was prepared on.
/// @returns how many rows it stamped or deleted.
size_t expire_sqlite_messages(message_statements& st,
                              const retention_table& retention, int64_t now_ms,
                              int64_t default_retention_ms, size_t limit);

/// Returns the rows and bytes of the message tables of `db` (bytes -1 when
/// this SQLite has no dbstat); runs inside the driver's read.
std::vector<table_size> sqlite_message_table_sizes(SQLite::Database& db);

} // namespace caf_cluster::storage::internal
