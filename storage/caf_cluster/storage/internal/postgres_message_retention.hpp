// The upkeep half of the PostgreSQL message driver, apart from its reads and
// writes of messages: the retention sweep (the retention sweeper's timer)
// and the size of the tables it keeps bounded (cluster-ctl tables).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/transaction_base>

#include "caf_cluster/storage/internal/retention_rules.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::storage::internal {

/// Stamps unstamped processed requests with `now_ms` and deletes those past
/// their retention with their replies, at most `limit` rows; runs inside the
/// driver's write transaction `tx`.
/// @returns how many rows it stamped or deleted.
size_t expire_postgres_messages(pqxx::transaction_base& tx,
                                const retention_table& retention,
                                int64_t now_ms, int64_t default_retention_ms,
                                size_t limit);

/// Returns the exact rows and the bytes (with indexes and TOAST) of the
/// message tables in `schema`; runs inside the driver's read `tx`.
std::vector<table_size> postgres_message_table_sizes(pqxx::transaction_base& tx,
                                                     const std::string& schema);

} // namespace caf_cluster::storage::internal
