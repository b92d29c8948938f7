// Error codes of the storage component. Storage sits below the core (core
// depends on storage, never the reverse), so it cannot use caf_cluster::errc
// and reports its own `storage` category; the core wraps these in
// `persistence_error` where a caller needs the runtime's view.
#pragma once

#include <cstdint>
#include <string>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/fwd.hpp"
#include "caf/make_message.hpp"
#include "caf/message.hpp"

namespace caf_cluster::storage {

/// Error codes of the `storage` error category.
enum class errc : uint8_t {
  /// A storage location is malformed, e.g. `sqlite:` without a path.
  invalid_uri = 1,
  /// A database file cannot be opened or created.
  open_failed,
  /// A read or write failed.
  io_error,
  /// The database stayed locked past the busy timeout.
  busy,
  /// A stored row does not decode.
  corrupt,
  /// A write was refused because a newer lease epoch exists for its shard.
  fenced,
  /// An argument is outside its documented range, e.g. a lease duration of
  /// zero or an empty runner address.
  invalid_argument,
  /// The caller's configuration conflicts with the one stored for the
  /// cluster, e.g. a different `cluster.shards-per-group`.
  invalid_config,
  /// A finite resource is used up, e.g. all 1024 machine ids belong to live
  /// runners.
  exhausted,
  /// No runner is registered at the given address, e.g. `cluster-ctl drain`
  /// of a runner that left or never joined.
  unknown_runner,
  /// The runner is live (its heartbeat is younger than the lease duration),
  /// so it cannot be forgotten.
  runner_alive,
  /// The database file holds another application's tables and none of
  /// ours: it is refused rather than mixed with the cluster's tables unless
  /// sharing it is asked for (`sqlite:<path>?share=1`).
  foreign_database,
  /// The backend does not offer the operation, e.g.
  /// `message_driver::transact_state` on the memory backend, which has no
  /// SQL database to run the caller's work in.
  unsupported,
};

/// Returns the name of `x`, e.g. `"fenced"`.
std::string to_string(errc x);

/// The CAF error category of `errc`.
constexpr caf::atom_value errc_category = caf::atom("storage");

/// Registers the `storage` error category with `cfg` so that
/// `actor_system::render` prints `storage: busy (...)`.
void add_error_category(caf::actor_system_config& cfg);

} // namespace caf_cluster::storage

CAF_ERROR_CODE_ENUM(caf_cluster::storage::errc, "storage")
