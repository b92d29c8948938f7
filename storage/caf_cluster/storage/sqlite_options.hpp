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
};

} // namespace caf_cluster::storage
