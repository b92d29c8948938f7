// The storage workloads: message storage rows saved into a fresh SQLite file
// through caf-cluster's group-commit writer (the layer persisted messages
// use), against raw SQLiteCpp inserting the same rows into the same
// table (the ceiling). The persisted workloads reuse that ceiling.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"
#include "workloads.hpp"

namespace bench {

/// Returns the figures of a storage workload, in the order
/// `run_storage_workload` returns them. A side that does not measure a
/// figure reports -1 for it (the table prints `-`).
std::vector<metric> storage_metrics(const workload_sizes& sizes);

/// Runs storage workload `w` once on side `s` (caf-cluster: the storage
/// writer over the SQLite message driver; bare: raw SQLiteCpp) in fresh
/// SQLite files of a temp dir, and passes its figures to `sink`.
void run_storage_workload(workload w, side s, const options& opt,
                          const figures_sink& sink);

/// Describes storage workload `w` with its sizes, for the report.
std::string describe_storage(workload w, const workload_sizes& sizes);

/// The raw ceiling of persisted asks: raw SQLiteCpp inserts `count` request
/// rows over `entities` entities into a fresh SQLite file (temp dir) with
/// the message driver's schema, `per_txn` rows per transaction, exactly as
/// the raw side of storage-requests does. Returns rows/s.
double raw_request_ceiling(int64_t count, int64_t entities, int64_t per_txn);

} // namespace bench
