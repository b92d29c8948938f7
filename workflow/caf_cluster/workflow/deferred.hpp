// Durable deferreds: named wait points of an execution that anyone can
// complete later through a token, even after restarts. The first completion
// wins; one that arrives before the body awaits it is kept.
#pragma once

#include <string>
#include <string_view>

#include "caf/expected.hpp"

namespace caf_cluster::workflow {

/// A named durable wait point carrying a `T` (`context::await`).
template <class T>
struct deferred {
  /// The value type.
  using value_type = T;

  /// The name, unique within the workflow.
  std::string name;
};

/// Addresses one deferred of one execution, for completing it from anywhere
/// (`engine::complete`, `engine::fail`).
struct deferred_token {
  /// The workflow's name.
  std::string workflow;

  /// The execution id.
  std::string execution_id;

  /// The deferred's name.
  std::string deferred;

  /// The workflow's shard group (empty: the entity group), so that a node
  /// that does not know the workflow routes it.
  std::string shard_group;

  /// Returns the text form: the four fields percent-escaped (`%` as `%25`,
  /// `/` as `%2F`) and joined by `/`.
  std::string to_string() const;

  /// Parses the text form.
  /// @returns the token or `errc::invalid_argument`.
  static caf::expected<deferred_token> parse(std::string_view text);
};

} // namespace caf_cluster::workflow
