// Where a runner keeps its runner and message storage, as written in the
// `cluster.storage` option: `memory` or `sqlite:<path>[?share=1]`. Parsing lives here,
// beside the backends it selects, so the core and the tools agree on the
// syntax.
#pragma once

#include <string>
#include <string_view>

#include "caf/expected.hpp"

namespace caf_cluster::storage {

/// A parsed storage location.
struct storage_uri {
  /// The backend a location selects.
  enum class kind {
    /// Process-local tables that vanish with the process (tests, one runner).
    memory,
    /// A SQLite database file shared by the runners of one host.
    sqlite,
  };

  /// The selected backend.
  kind type = kind::memory;

  /// The database file for `kind::sqlite`, as written (relative paths resolve
  /// against the working directory); empty for `kind::memory`.
  std::string path;

  /// `?share=1`: the file may hold another application's tables, and the
  /// cluster's tables are added beside them (refused otherwise).
  bool share = false;
};

/// Parses `text`, which must be exactly `memory` or `sqlite:<path>` with a
/// non-empty path, optionally followed by `?share=1` or `?share=0`
/// (case-sensitive, no surrounding whitespace; a path cannot contain `?`).
/// @returns the location, or `errc::invalid_uri` with a message that quotes
///          `text` and lists the accepted forms.
caf::expected<storage_uri> parse_storage_uri(std::string_view text);

/// Returns `x` in the syntax `parse_storage_uri` accepts.
std::string to_string(const storage_uri& x);

/// Returns whether `x` and `y` select the same backend, path and sharing.
bool operator==(const storage_uri& x, const storage_uri& y) noexcept;

/// Returns whether `x` and `y` differ in backend, path or sharing.
bool operator!=(const storage_uri& x, const storage_uri& y) noexcept;

} // namespace caf_cluster::storage
