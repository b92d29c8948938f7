// Message storage in process memory: for tests and single-process clusters.
// It lives in a memory_runner_store beside the runner tables, as both live in
// one SQLite file, so that fencing reads the epochs that lease grants write.
#pragma once

#include <memory>

#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::storage {

/// Creates a driver on a fresh store of its own, where no shard is ever
/// leased and writes are thus never fenced.
std::unique_ptr<message_driver> make_memory_message_driver();

/// Creates a driver on the message tables of `store`. Message and runner
/// drivers on one store see each other's writes at once, and a fenced write
/// reads the shard's epoch under the lock that lease grants take. The store
/// lives as long as any driver on it.
/// @pre `store != nullptr`
std::unique_ptr<message_driver>
make_memory_message_driver(std::shared_ptr<memory_runner_store> store);

} // namespace caf_cluster::storage
