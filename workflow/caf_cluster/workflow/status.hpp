// The states of an execution and what `poll` answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "caf/error.hpp"

#include "caf_cluster/workflow/outcome.hpp"

namespace caf_cluster::workflow {

/// The state of one execution.
enum class execution_status : uint8_t {
  /// No execution with this id (never started, or purged).
  unknown,
  /// Started; it has work to do right now.
  running,
  /// Waiting for a sleep, a deferred or a child, or (suspend-on-failure)
  /// for `resume` or `interrupt`.
  suspended,
  /// The body returned a result.
  complete,
  /// The body returned a typed failure, threw, or the engine failed it
  /// (nondeterminism).
  failed,
  /// Interrupted; its compensations ran.
  interrupted,
};

/// Returns the lower-case name of `x` (e.g. `"suspended"`).
std::string to_string(execution_status x);

/// Parses a name written by `to_string`; none for anything else.
std::optional<execution_status> parse_execution_status(const std::string& x);

/// Returns whether an execution in state `x` has ended.
constexpr bool is_final(execution_status x) noexcept {
  return x == execution_status::complete || x == execution_status::failed
    || x == execution_status::interrupted;
}

/// What `client::poll` answers.
template <class R, class E>
struct poll_result {
  /// The state of the execution.
  execution_status status = execution_status::unknown;

  /// The body's outcome, for `complete` and for `failed` by a typed failure.
  std::optional<outcome<R, E>> result;

  /// Why it is interrupted, failed by the engine (e.g.
  /// `errc::nondeterministic_workflow`) or suspended on a failure.
  caf::error cause;
};

} // namespace caf_cluster::workflow
