// What a workflow body sees: durable activities, sleeps, deferreds, children,
// compensations and versioning markers. A body runs again from the top on
// every advance (replay); the context answers every step reached before from
// the journal and does at most one new activity per advance. When the body
// must wait, the context unwinds it with an internal signal, so a waiting
// execution holds no thread and no stack.
//
// The determinism rule: a body must reach the same steps (kind and name) in
// the same order on every replay. Branch only on the payload and on step
// results, never on clocks, random numbers or outside state. Bodies must not
// swallow the context's signals: a `catch (...)` in a body must rethrow.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/timespan.hpp"
#include "caf/unit.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/workflow/deferred.hpp"
#include "caf_cluster/workflow/detail/codec.hpp"
#include "caf_cluster/workflow/detail/core.hpp"
#include "caf_cluster/workflow/outcome.hpp"
#include "caf_cluster/workflow/retry_policy.hpp"
#include "caf_cluster/workflow/workflow.hpp"

namespace caf_cluster::storage {

class sql_transaction;

} // namespace caf_cluster::storage

namespace caf_cluster::workflow {

namespace detail {

struct run_state;

} // namespace detail

/// One attempt of an activity, as the activity's function may receive it.
struct activity_attempt {
  /// The activity's name (without the attempt suffix).
  std::string name;

  /// The attempt number, 1-based.
  int32_t attempt = 1;

  /// The execution id.
  std::string execution_id;

  /// How many times the execution was resumed when this attempt ran: a
  /// resume runs the failed activity again from attempt 1.
  int32_t resumes = 0;

  /// Returns a key that is the same for every run of this attempt of this
  /// activity in this execution, e.g. for idempotency keys of external APIs:
  /// `"<execution id>/<name>/<attempt>"`, with `"@<resumes>"` appended after
  /// a resume, so that a resumed attempt never repeats an earlier key.
  std::string idempotency_key() const {
    auto result = execution_id + "/" + name + "/" + std::to_string(attempt);
    if (resumes > 0)
      result += "@" + std::to_string(resumes);
    return result;
  }
};

/// One activity of a fan-out (`context::all`).
template <class T>
struct activity_call {
  /// The activity's name.
  std::string name;

  /// The work.
  std::function<caf::expected<T>()> fn;
};

/// Makes an `activity_call<T>` from `fn`, returning `T` or
/// `caf::expected<T>`.
template <class T, class F>
activity_call<T> call(std::string name, F fn) {
  return activity_call<T>{std::move(name), [fn]() mutable -> caf::expected<T> {
                            return fn();
                          }};
}

namespace detail {

/// Calls an activity function with or without the attempt.
template <class F>
auto invoke_activity(F& f, const activity_attempt& a) {
  if constexpr (std::is_invocable<F&, const activity_attempt&>::value)
    return f(a);
  else
    return f();
}

/// Strips `caf::expected`, maps `void` to `caf::unit_t`.
template <class X>
struct activity_value {
  using type = X;
};

template <>
struct activity_value<void> {
  using type = caf::unit_t;
};

template <class X>
struct activity_value<caf::expected<X>> {
  using type = X;
};

/// The value type of activity function `F`.
template <class F>
using activity_value_t = typename activity_value<decltype(invoke_activity(
  std::declval<F&>(), std::declval<const activity_attempt&>()))>::type;

/// Runs `f` and encodes what it returned; a throw becomes
/// `errc::entity_failed` with the text.
template <class T, class F>
step_value run_and_encode(caf::actor_system& sys, F& f) {
  step_value result;
  try {
    using ret = decltype(f());
    caf::expected<T> x = [&f]() -> caf::expected<T> {
      if constexpr (std::is_void<ret>::value) {
        f();
        return caf::unit;
      } else {
        return f();
      }
    }();
    if (!x) {
      result.state = step_state::failed;
      result.error = std::move(x.error());
      return result;
    }
    caf::expected<std::string> bytes{std::string{}};
    if constexpr (std::is_same<T, caf::unit_t>::value)
      bytes = encode(sys, caf::unit);
    else
      bytes = encode(sys, *x);
    if (!bytes) {
      result.state = step_state::failed;
      result.error = std::move(bytes.error());
      return result;
    }
    result.value = std::move(*bytes);
  } catch (const std::exception& e) {
    result.state = step_state::failed;
    result.error = caf::make_error(errc::entity_failed,
                                   std::string{"activity threw: "} + e.what());
  } catch (...) {
    result.state = step_state::failed;
    result.error = caf::make_error(
      errc::entity_failed, "activity threw a non-standard exception");
  }
  return result;
}

/// Decodes a step value into `caf::expected<T>`.
template <class T>
caf::expected<T> to_expected(caf::actor_system& sys, step_value& x) {
  if (x.state != step_state::ok)
    return std::move(x.error);
  if constexpr (std::is_same<T, caf::unit_t>::value) {
    static_cast<void>(sys);
    return caf::unit;
  } else {
    T result{};
    if (auto err = decode_into(sys, x.value, result))
      return err;
    return caf::expected<T>{std::move(result)};
  }
}

/// Turns a final status into the outcome the caller sees.
template <class R, class E>
caf::expected<outcome<R, E>> to_outcome(caf::actor_system& sys,
                                        const wf_status& st) {
  if (auto err = engine_error(st))
    return err;
  if (st.ok) {
    R x{};
    if (auto err = decode_into(sys, st.result, x))
      return err;
    return outcome<R, E>{std::move(x)};
  }
  E x{};
  if (auto err = decode_into(sys, st.result, x))
    return err;
  return outcome<R, E>{failure<E>{std::move(x)}};
}

} // namespace detail

/// What a workflow body sees; valid only during the call, not copyable.
/// Every member that journals a step may unwind the body with an internal
/// signal (not a `std::exception`): let it pass. A body that catches one
/// (`catch (...)` without rethrow) and returns fails with
/// `errc::entity_failed`.
class context {
public:
  /// @private Made by the engine for one run of the body.
  explicit context(detail::run_state* st) : st_(st) {
    // nop
  }

  context(const context&) = delete;

  context& operator=(const context&) = delete;

  /// Returns the execution id.
  const std::string& execution_id() const;

  /// Returns the workflow's name.
  const std::string& workflow_name() const;

  /// Returns the workflow's shard group (empty: the entity group).
  const std::string& shard_group() const;

  /// Returns the cluster's clock in ms since the epoch. Not journaled: a
  /// replay sees another value, so never branch on it.
  int64_t now_ms() const;

  /// Returns the actor system (for encoding values).
  caf::actor_system& system() const;

  /// Runs activity `name` once: `fn` is `T()`, `caf::expected<T>()`,
  /// `T(const activity_attempt&)` or `caf::expected<T>(const
  /// activity_attempt&)` (`void` gives `caf::unit_t`). Its result is
  /// journaled and returned by every later replay without running `fn`
  /// again. A throw (a `std::exception`) is a recorded failure,
  /// `errc::entity_failed` with the text. With `policy`, attempt `k` is
  /// journaled as `"<name>/<k>"` and a delay is a durable sleep. `fn` runs
  /// inline on the execution's actor: hand long blocking work to an actor
  /// and await a deferred. `fn` must not use the context.
  template <class F>
  auto activity(std::string name, F fn, retry_policy policy = {})
    -> caf::expected<detail::activity_value_t<F>> {
    using value_type = detail::activity_value_t<F>;
    auto& sys = system();
    auto v = run_activity(
      name, policy,
      [&sys, &fn](const activity_attempt& a) -> detail::step_value {
        auto g = [&fn, &a]() {
          return detail::invoke_activity(fn, a);
        };
        return detail::run_and_encode<value_type>(sys, g);
      });
    return detail::to_expected<value_type>(sys, v);
  }

  /// Runs `fn(tx)` inside the storage transaction that records its result,
  /// so its writes through `tx.database()` (SQLite) or `tx.postgres()`
  /// (PostgreSQL) commit exactly once, together with the result (the memory
  /// backend refuses with `errc::unsupported`). `fn` returns `T` or
  /// `caf::expected<T>`; an error rolls the transaction back and is
  /// recorded.
  template <class F>
  auto activity_in_transaction(std::string name, F fn)
    -> caf::expected<typename detail::activity_value<
      std::invoke_result_t<F&, storage::sql_transaction&>>::type> {
    using value_type = typename detail::activity_value<
      std::invoke_result_t<F&, storage::sql_transaction&>>::type;
    auto& sys = system();
    auto v = run_transaction(
      name, [&sys, &fn](storage::sql_transaction& tx) -> detail::step_value {
        auto g = [&fn, &tx]() {
          return fn(tx);
        };
        return detail::run_and_encode<value_type>(sys, g);
      });
    return detail::to_expected<value_type>(sys, v);
  }

  /// Fan-out: runs the calls without a recorded result concurrently
  /// (`std::async`), records all results, and returns them in order. The
  /// calls count as one new activity of the advance.
  template <class T>
  std::vector<caf::expected<T>> all(std::vector<activity_call<T>> calls) {
    auto& sys = system();
    std::vector<std::pair<std::string, std::function<detail::step_value()>>>
      fns;
    for (auto& c : calls) {
      auto fn = c.fn;
      fns.emplace_back(c.name, [&sys, fn]() mutable {
        return detail::run_and_encode<T>(sys, fn);
      });
    }
    auto vs = run_all(std::move(fns));
    std::vector<caf::expected<T>> result;
    for (auto& v : vs)
      result.push_back(detail::to_expected<T>(sys, v));
    return result;
  }

  /// Sleeps durably for `d` (a scheduled persisted message wakes the
  /// execution, also after restarts); 0 or less does nothing. A name reached
  /// again (in a loop) is journaled as `"<name>#<position>"`.
  void sleep(std::string name, caf::timespan d);

  /// Returns the value of deferred `d` once someone completed it (see
  /// `engine::complete`), suspending the execution until then. Awaiting it
  /// again returns the same value.
  template <class T>
  caf::expected<T> await(const deferred<T>& d) {
    auto v = await_raw(d.name);
    return detail::to_expected<T>(system(), v);
  }

  /// Returns the token that completes deferred `d` of this execution.
  template <class T>
  std::string token(const deferred<T>& d) const {
    return deferred_token{workflow_name(), execution_id(), d.name,
                          shard_group()}
      .to_string();
  }

  /// Registers compensation `name`: when the execution finally fails or is
  /// interrupted, the compensations registered so far run in reverse order,
  /// each once (journaled as step `compensation` `"<name>"`). Registering is
  /// not a step; register right after the activity it undoes.
  void compensate(std::string name, std::function<void()> fn);

  /// Versioning marker: returns true for executions that reached this
  /// point with code containing change `change_id` (new code path), false
  /// for executions whose journal predates it (old path). Use as
  /// `if (ctx.patched("v2")) { new } else { old }`.
  bool patched(std::string change_id);

  /// Starts child workflow `def` with `payload` (or joins it) and suspends
  /// until it ended; returns its outcome, or the engine's error
  /// (`errc::workflow_interrupted`, ...).
  template <class P2, class R2, class E2>
  caf::expected<outcome<R2, E2>> child(const workflow<P2, R2, E2>& def,
                                       const P2& payload) {
    auto bytes = detail::encode(system(), payload);
    if (!bytes)
      return std::move(bytes.error());
    auto v
      = run_child(detail::execution_ref{def.name(), def.execution_id(payload),
                                        def.shard_group()},
                  std::move(*bytes), false);
    if (v.state != step_state::ok)
      return std::move(v.error);
    auto st = detail::decode<detail::wf_status>(system(), v.value);
    if (!st)
      return std::move(st.error());
    return detail::to_outcome<R2, E2>(system(), *st);
  }

  /// Starts child workflow `def` with `payload` detached (this execution
  /// does not wait for it) and returns its execution id.
  template <class P2, class R2, class E2>
  std::string start_child(const workflow<P2, R2, E2>& def, const P2& payload) {
    auto id = def.execution_id(payload);
    auto bytes = detail::encode(system(), payload);
    run_child(detail::execution_ref{def.name(), id, def.shard_group()},
              bytes ? std::move(*bytes) : std::string{}, true);
    return id;
  }

private:
  detail::step_value run_activity(
    const std::string& name, const retry_policy& policy,
    const std::function<detail::step_value(const activity_attempt&)>& fn);

  detail::step_value run_transaction(
    const std::string& name,
    const std::function<detail::step_value(storage::sql_transaction&)>& fn);

  std::vector<detail::step_value> run_all(
    std::vector<std::pair<std::string, std::function<detail::step_value()>>>
      fns);

  detail::step_value await_raw(const std::string& name);

  detail::step_value run_child(const detail::execution_ref& ref,
                               std::string payload, bool detached);

  void send_start(const detail::execution_ref& ref, std::string payload,
                  bool detached);

  detail::run_state* st_;
};

} // namespace caf_cluster::workflow
