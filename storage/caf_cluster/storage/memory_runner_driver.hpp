// Runner storage in process memory: for tests and single-process clusters.
// Several drivers may share one store so that simulated runners in one
// process see the same runners and leases, as real runners share a database.
#pragma once

#include <memory>

#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::storage {

/// The rows of an in-memory runner and message storage, shared by the
/// drivers made from it (runner and message drivers alike) and guarded by its
/// own mutex; opaque outside the memory backend.
class memory_runner_store;

/// Creates an empty in-memory runner store.
std::shared_ptr<memory_runner_store> make_memory_runner_store();

/// Creates a driver on a fresh store of its own.
std::unique_ptr<runner_driver> make_memory_runner_driver();

/// Creates a driver on `store`; drivers on one store see each other's writes
/// at once. The store lives as long as any driver on it.
/// @pre `store != nullptr`
std::unique_ptr<runner_driver>
make_memory_runner_driver(std::shared_ptr<memory_runner_store> store);

} // namespace caf_cluster::storage
