// Who may read a SQLite storage file besides its owner. New files are created
// owner-only; a file made earlier (or by hand) keeps its mode, and the node
// warns about it at start rather than changing what an operator chose.
#pragma once

#include <string>
#include <vector>

namespace caf_cluster::storage {

/// Returns the files of the database at `path` (the file, its `-wal` and its
/// `-shm`) that exist and whose mode lets users other than the owner read or
/// write them, each as `"<file> (mode 0644)"`.
std::vector<std::string> exposed_sqlite_files(const std::string& path);

} // namespace caf_cluster::storage
