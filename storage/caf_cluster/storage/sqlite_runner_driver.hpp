// Runner storage in a SQLite file: the embedded default, shared by the runner
// processes of one host (WAL, busy timeout, BEGIN IMMEDIATE for writes). The
// schema is versioned from the first release so later releases can upgrade a
// file in place.
#pragma once

#include <memory>
#include <string>

#include "caf/expected.hpp"

#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/storage/sqlite_options.hpp"

namespace caf_cluster::storage {

/// Opens the SQLite database at `path` (created if missing, unless
/// `opts.create_missing` is false) with its own
/// connection and brings its runner storage schema up to date.
/// @returns the driver; `errc::open_failed` with SQLite's message when the
///          file cannot be created, opened, written or migrated (for example
///          an unwritable directory, or a file written by a newer release);
///          `errc::busy` when other connections kept it locked past
///          `opts.busy_timeout_ms`.
caf::expected<std::unique_ptr<runner_driver>>
make_sqlite_runner_driver(const std::string& path, sqlite_options opts = {});

} // namespace caf_cluster::storage
