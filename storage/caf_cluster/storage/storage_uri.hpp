// Where a runner keeps its runner and message storage, as written in the
// `cluster.storage` option: `memory`, `sqlite:<path>[?share=1]` or
// `postgresql://[USER@]HOST[:PORT]/DB[?OPTIONS]`. Parsing lives here, beside
// the backends it selects, so the core and the tools agree on the syntax.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "caf/expected.hpp"

namespace caf_cluster::storage {

/// Where a PostgreSQL database is and how the drivers use it. Never holds a
/// password: passwords come from `password_file`, the `PGPASSWORD`
/// environment variable or libpq's password file (`PGPASSFILE`, `~/.pgpass`).
struct postgres_location {
  /// The database user; empty lets libpq choose (`PGUSER`, else the name of
  /// the operating system user).
  std::string user;

  /// The server's host name or address (an IPv6 address without brackets).
  std::string host;

  /// The server's TCP port.
  uint16_t port = 5432;

  /// The database.
  std::string database;

  /// `?schema=NAME`: the schema that holds the cluster's tables, created
  /// when missing (lower-case letters, digits and `_`, at most 63 bytes).
  std::string schema = "public";

  /// `?pool=N`: how many connections one runner's drivers share, 1..100.
  int32_t pool_size = 4;

  /// `?password-file=PATH`: a file whose first line is the password; it must
  /// be a regular file that neither group nor others may access (as libpq
  /// demands of `~/.pgpass`). Empty: none.
  std::string password_file;

  /// `?connect-timeout=S`: how long to wait for a connection, and for a free
  /// connection of the pool, in seconds (1..3600).
  int32_t connect_timeout_s = 5;

  /// `?statement-timeout=S`: how long one SQL statement may run before the
  /// server cancels it, in seconds (0 = no limit, at most 86400).
  int32_t statement_timeout_s = 30;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const postgres_location& x,
                const postgres_location& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const postgres_location& x,
                const postgres_location& y) noexcept;

/// A parsed storage location.
struct storage_uri {
  /// The backend a location selects.
  enum class kind {
    /// Process-local tables that vanish with the process (tests, one runner).
    memory,
    /// A SQLite database file shared by the runners of one host.
    sqlite,
    /// A PostgreSQL database shared by the runners of any hosts.
    postgresql,
  };

  /// The selected backend.
  kind type = kind::memory;

  /// The database file for `kind::sqlite`, as written (relative paths resolve
  /// against the working directory); empty otherwise.
  std::string path;

  /// `?share=1`: the file may hold another application's tables, and the
  /// cluster's tables are added beside them (refused otherwise).
  bool share = false;

  /// The database for `kind::postgresql`; defaults otherwise.
  postgres_location postgres{};
};

/// Parses `text`, which must be exactly `memory`, `sqlite:<path>` with a
/// non-empty path, optionally followed by `?share=1` or `?share=0`, or
/// `postgresql://[USER@]HOST[:PORT]/DB` (also `postgres://`), optionally
/// followed by `?` and `&`-separated options `schema=NAME`, `pool=N`,
/// `password-file=PATH`, `connect-timeout=S` and `statement-timeout=S` (see
/// `postgres_location`). The user, database and option values may use
/// `%XX` escapes; an IPv6 host is written in brackets. Case-sensitive, no
/// surrounding whitespace; a SQLite path cannot contain `?`.
/// @returns the location, or `errc::invalid_uri` with a message that quotes
///          `text` and lists the accepted forms. A password in the location
///          (`USER:PASSWORD@`) is refused with a message that says where
///          passwords go and quotes `text` with the password left out.
caf::expected<storage_uri> parse_storage_uri(std::string_view text);

/// Decodes the `%XX` escapes of a URI component; none when an escape is
/// malformed or the result would hold a NUL (libpq takes C strings, so a
/// NUL would cut a value short).
std::optional<std::string> percent_decoded(std::string_view x);

/// Returns `x` in the syntax `parse_storage_uri` accepts (PostgreSQL options
/// only where they differ from the defaults; never a password).
std::string to_string(const storage_uri& x);

/// Returns whether `x` and `y` select the same backend and location.
bool operator==(const storage_uri& x, const storage_uri& y) noexcept;

/// Returns whether `x` and `y` differ in backend or location.
bool operator!=(const storage_uri& x, const storage_uri& y) noexcept;

} // namespace caf_cluster::storage
