// What a workflow body returns: its result or its own typed failure. A typed
// failure is an ordinary end of an execution (the caller gets it as a value),
// unlike the engine's errors (interrupt, nondeterminism), which are
// `caf::error`s.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

namespace caf_cluster::workflow {

/// A typed failure of a workflow body; made with `fail`.
template <class E>
struct failure {
  /// The body's error value.
  E error;
};

/// Returns a typed failure holding `e`, for `return fail(e);` in a body.
template <class E>
failure<std::decay_t<E>> fail(E&& e) {
  return failure<std::decay_t<E>>{std::forward<E>(e)};
}

/// The end of an execution as its body decided it: a result of type `R` or
/// a typed failure of type `E` (`R` may be `caf::unit_t` for none).
template <class R, class E>
class outcome {
public:
  /// The result type.
  using result_type = R;

  /// The error type.
  using error_type = E;

  /// A success holding `value`.
  outcome(R value) : data_(std::in_place_index<0>, std::move(value)) {
    // nop
  }

  /// A typed failure holding `f.error`.
  outcome(failure<E> f) : data_(std::in_place_index<1>, std::move(f.error)) {
    // nop
  }

  /// Returns whether this is a success.
  bool ok() const noexcept {
    return data_.index() == 0;
  }

  /// Returns the result.
  /// @pre `ok()`
  const R& value() const {
    return std::get<0>(data_);
  }

  /// Returns the typed failure.
  /// @pre `!ok()`
  const E& error() const {
    return std::get<1>(data_);
  }

private:
  std::variant<R, E> data_;
};

} // namespace caf_cluster::workflow
