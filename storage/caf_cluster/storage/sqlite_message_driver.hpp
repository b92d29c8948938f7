// Message storage in a SQLite file: the embedded default, in the same file as
// the runner storage, whose shard epochs fence its writes inside the write
// transaction (WAL, busy timeout, BEGIN IMMEDIATE for writes). The schema is
// versioned from the first release so later releases can upgrade a file.
#pragma once

#include <memory>
#include <string>

#include "caf/expected.hpp"

#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/sqlite_options.hpp"

namespace caf_cluster::storage {

/// Opens the SQLite database at `path` (created if missing, unless
/// `opts.create_missing` is false) with its own
/// connection and brings its runner and message storage schemas up to date
/// (the runner tables hold the epochs that fence message writes).
/// @returns the driver; `errc::open_failed` with SQLite's message when the
///          file cannot be created, opened, written or migrated (for example
///          an unwritable directory, or a file written by a newer release);
///          `errc::busy` when other connections kept it locked past
///          `opts.busy_timeout_ms`; `errc::invalid_argument` for an empty
///          path.
caf::expected<std::unique_ptr<message_driver>>
make_sqlite_message_driver(const std::string& path, sqlite_options opts = {});

} // namespace caf_cluster::storage
