// The PostgreSQL backend's tables, their versioned migrations, and the
// prepared statements its drivers run. Every opaque string (addresses,
// shards, entity types and ids, keys, payloads) is stored as bytea: the
// drivers promise byte-exact rows and byte order, which text columns would
// break (encoding checks, NUL bytes, collations).
#pragma once

#include <string>
#include <vector>

#include <pqxx/binarystring>
#include <pqxx/connection>
#include <pqxx/field>
#include <pqxx/result>

#include "caf/error.hpp"

#include "caf_cluster/storage/internal/postgres_pool.hpp"

namespace caf_cluster::storage::internal {

/// Returns `x` as a binary (bytea) statement parameter.
inline pqxx::binarystring as_bytea(const std::string& x) {
  return pqxx::binarystring{x};
}

/// Returns the bytes of a bytea field.
inline std::string bytes_of(const pqxx::field& f) {
  return pqxx::binarystring{f}.str();
}

/// Returns `xs` as a `text[]` literal of hex strings, which the statements
/// decode back into bytea (libpqxx 6 has no array parameters).
std::string hex_array(const std::vector<std::string>& xs);

/// Creates the schema of `pool` and the cluster's tables in it, or migrates
/// them to the latest version, under a transaction-scoped advisory lock so
/// that runners starting together migrate once.
/// With `create_missing` false it only checks that the schema holds the
/// cluster's tables at the latest version and writes nothing.
/// @returns a storage error; `errc::open_failed` when the schema was written
///          by a newer release, or (`create_missing` false) has no cluster
///          tables or an older version.
caf::error migrate_postgres_schema(postgres_pool& pool,
                                   bool create_missing = true);

/// Prepares the statements of both drivers on `conn` (names `rs_*` for
/// runner storage and `ms_*` for message storage), their tables qualified
/// with `schema` (quoted).
void prepare_postgres_statements(pqxx::connection& conn,
                                 const std::string& schema);

} // namespace caf_cluster::storage::internal
