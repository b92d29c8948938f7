// Settings of a SQLite storage file, shared by the SQLite backends (runner
// and message storage) so that every connection to one file behaves alike.
#pragma once

#include <cstdint>

namespace caf_cluster::storage {

/// How a SQLite backend opens its database file.
struct sqlite_options {
  /// How long a write waits for another connection's write transaction
  /// before it fails with `errc::busy`.
  int32_t busy_timeout_ms = 5000;

  /// Whether every commit waits for fsync (`PRAGMA synchronous=FULL`);
  /// otherwise WAL's `NORMAL` may lose the last commits on a power cut, never
  /// on a process crash.
  bool synchronous_full = false;

  /// Whether a missing database file is created (runners, tests). A client
  /// sets it to false: a typo in its storage path must be refused with
  /// `errc::open_failed` naming the path, not answered by an empty cluster.
  bool create_missing = true;

  /// Whether the connection only reads: it never creates the file, switches
  /// its journal mode or migrates its schema, and refuses a file whose
  /// schema is missing or older than this release's (tools that only look).
  bool read_only = false;

  /// Whether a file that already holds other tables (and none of the
  /// cluster's) may get the cluster's tables added; otherwise it is refused
  /// with `errc::foreign_database`.
  bool share_file = false;

  /// Whether opening runs `PRAGMA quick_check` first, so that a damaged file
  /// is refused at start rather than failing calls later. Costs a read of
  /// the whole file; a second connection to a file just checked skips it.
  bool check_integrity = true;

  /// The size the WAL file is cut back to after a checkpoint emptied it
  /// (`PRAGMA journal_size_limit`). Four times what SQLite's automatic
  /// checkpoint lets it reach (1000 pages, about 4 MiB), so normal work never
  /// cuts and regrows it, while a burst that outgrew it (a long reader held
  /// the checkpoint back) gives the disk space back.
  int64_t journal_size_limit_bytes = 16 * 1024 * 1024;
};

} // namespace caf_cluster::storage
