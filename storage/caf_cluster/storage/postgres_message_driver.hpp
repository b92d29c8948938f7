// Message storage in a PostgreSQL database shared by runners on any hosts:
// persisted requests, replies and durable state, with writes fenced by the
// lease epochs of the runner tables in the same database.
#pragma once

#include <memory>
#include <string_view>

#include "caf/expected.hpp"

#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::storage {

/// Opens message storage in the PostgreSQL database that `uri` names (see
/// `make_postgres_runner_driver`) on a connection pool of its own.
/// `transact_state` hands its work the open libpqxx transaction
/// (`sql_transaction::postgres()`).
/// @returns the driver or the errors of `make_postgres_runner_driver`.
caf::expected<std::unique_ptr<message_driver>>
make_postgres_message_driver(std::string_view uri, bool create_missing = true);

} // namespace caf_cluster::storage
