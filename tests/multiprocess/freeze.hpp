// Freezing a runner (SIGSTOP) for tests of in-flight requests, at a moment it
// is not inside a storage transaction.
#pragma once

#include <string>

#include "multiprocess/process.hpp"
#include "multiprocess/test_storage.hpp"

namespace caf_cluster::multiprocess {

/// Stops `proc` with SIGSTOP and waits until the kernel reports it stopped.
/// A process stopped inside a write transaction keeps its locks: on a SQLite
/// file every other runner's writes wait for it, on PostgreSQL the grants of
/// its shards do. That is storage locking, not what such tests are about, so
/// when `db` shows such a lock the process continues and is stopped again a
/// little later. Returns false when no free moment came within `attempts`.
bool freeze_outside_transaction(process& proc, const test_storage& db,
                                int attempts = 50);

} // namespace caf_cluster::multiprocess
