// Opening the cluster's runner storage for a command: the `--storage` and
// `--lease-duration-ms` options every storage command shares, and the checks
// that keep an admin tool from creating an empty database by a typo.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "caf/expected.hpp"

#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/storage/sqlite_options.hpp"

namespace CLI {
class App;
} // namespace CLI

namespace cluster_ctl {

/// The options of a storage command, bound to its parser.
struct storage_options {
  /// `--storage sqlite:PATH` or `--storage postgresql://...`.
  std::string storage;

  /// `--lease-duration-ms N` as given (commands that judge liveness).
  std::optional<std::string> lease_duration_ms;

  /// `--json`: one JSON document instead of text (listings).
  bool json = false;
};

/// Adds `--storage` to `cmd`, bound to `opts`.
void add_storage_option(CLI::App& cmd, storage_options& opts);

/// Adds `--lease-duration-ms` to `cmd`, bound to `opts`.
void add_lease_option(CLI::App& cmd, storage_options& opts);

/// Adds `--json` to `cmd`, bound to `opts`.
void add_json_option(CLI::App& cmd, storage_options& opts);

/// What a storage command needs once its arguments are checked.
struct storage_session {
  /// The runner storage.
  std::unique_ptr<caf_cluster::storage::runner_driver> driver;

  /// The database file, or for PostgreSQL the location without options (as
  /// messages name it; never a password).
  std::string path;

  /// The `--storage` location as given, for PostgreSQL (empty for SQLite).
  std::string postgres_uri;

  /// The wall clock when the session opened.
  int64_t now_ms = 0;

  /// The liveness window: `--lease-duration-ms`, else the default of
  /// `cluster.lease-duration`.
  int64_t lease_ms = 0;

  /// How the file was opened, for opening more drivers on it.
  caf_cluster::storage::sqlite_options sqlite;
};

/// What a storage command does to the file.
enum class storage_access {
  /// Only looks: opened read-only, never created, migrated or written.
  read_only,
  /// Writes rows (drain, forget), never creates the file.
  read_write,
};

/// Checks `opts` of the command `name` and opens the storage they name with
/// `access`; a file with another application's tables is refused unless the
/// location says `?share=1`.
/// Returns the exit code on failure (after printing the one error line).
std::optional<int> open_storage(const std::string& name,
                                const storage_options& opts,
                                storage_access access, storage_session& out);

/// Opens the message storage of `session`'s database (read-only sessions
/// never create or migrate anything).
caf::expected<std::unique_ptr<caf_cluster::storage::message_driver>>
open_message_storage(const storage_session& session);

/// The default of `--lease-duration-ms` (`cluster.lease-duration`).
int64_t default_lease_duration_ms();

} // namespace cluster_ctl
