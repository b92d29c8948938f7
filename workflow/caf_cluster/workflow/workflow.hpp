// The definition of a workflow: its name, payload, result and error types and
// options, without behaviour. Runners add a body to it (`engine::add`);
// clients only need the definition, so it is usually a namespace-scope
// constant shared by both.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "caf/error.hpp"
#include "caf/timespan.hpp"

namespace caf_cluster::workflow {

/// Returns the execution id of key `key` in workflow `name`: 32 lower-case
/// hex characters, the first 16 bytes of SHA-256 of
/// `"<len(name)>:<name>:<key>"` (as Effect computes it), stable across
/// platforms and releases.
std::string make_execution_id(const std::string& name, const std::string& key);

/// Definition of a workflow taking a `Payload`, ending with a `Result` or a
/// typed failure `Error`. All three must be CAF-inspectable (`inspect`) and
/// added on every node with `add_workflow_types`. Builder-style: every setter
/// returns a copy.
///
/// ~~~
/// inline const auto order_processing
///   = workflow<order, receipt, order_error>("OrderProcessing")
///       .idempotency_key([](const order& o) { return o.id; })
///       .retention(std::chrono::hours{24});
/// ~~~
template <class Payload, class Result, class Error = caf::error>
class workflow {
public:
  /// The payload type.
  using payload_type = Payload;

  /// The result type.
  using result_type = Result;

  /// The typed failure type.
  using error_type = Error;

  /// The function giving a payload's idempotency key.
  using key_function = std::function<std::string(const Payload&)>;

  /// Creates a definition named `name` (unique in the cluster).
  explicit workflow(std::string name) : name_(std::move(name)) {
    // nop
  }

  /// Returns a copy whose executions are identified by `f(payload)`: the
  /// same key means the same execution (a second `execute` joins it).
  /// Required before use.
  [[nodiscard]] workflow idempotency_key(key_function f) const {
    auto result = *this;
    result.key_ = std::make_shared<const key_function>(std::move(f));
    return result;
  }

  /// Returns a copy whose failures (a typed failure or a throwing body)
  /// suspend the execution (status `suspended`, with the failure as cause)
  /// until `resume` (failed activities are attempted again) or `interrupt`.
  [[nodiscard]] workflow suspend_on_failure(bool x = true) const {
    auto result = *this;
    result.suspend_on_failure_ = x;
    return result;
  }

  /// Returns a copy whose executions are purged (journal, messages) `x`
  /// after they completed; by default they are kept until `purge`.
  [[nodiscard]] workflow retention(caf::timespan x) const {
    auto result = *this;
    result.retention_ = x;
    return result;
  }

  /// Returns a copy whose executions live in shard group `g`; empty (the
  /// default) for the entity group, the first of `cluster.shard-groups`.
  [[nodiscard]] workflow shard_group(std::string g) const {
    auto result = *this;
    result.shard_group_ = std::move(g);
    return result;
  }

  /// Returns a copy whose execution entities passivate after `x` without
  /// messages (default 10 s); their state stays in storage.
  [[nodiscard]] workflow max_idle(caf::timespan x) const {
    auto result = *this;
    result.max_idle_ = x;
    return result;
  }

  /// Returns the workflow's name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Returns the entity type of its executions, `"workflow/<name>"`.
  std::string entity_type() const {
    return "workflow/" + name_;
  }

  /// Returns the execution id of `p` (see `make_execution_id`).
  /// @pre `has_idempotency_key()`
  std::string execution_id(const Payload& p) const {
    return make_execution_id(name_, (*key_)(p));
  }

  /// Returns whether an idempotency key function is set.
  bool has_idempotency_key() const noexcept {
    return key_ && static_cast<bool>(*key_);
  }

  /// Returns whether failures suspend the execution.
  bool suspends_on_failure() const noexcept {
    return suspend_on_failure_;
  }

  /// Returns the retention after completion; none: keep.
  const std::optional<caf::timespan>& retention() const noexcept {
    return retention_;
  }

  /// Returns the shard group (empty: the entity group).
  const std::string& shard_group() const noexcept {
    return shard_group_;
  }

  /// Returns the passivation timeout of execution entities.
  caf::timespan max_idle() const noexcept {
    return max_idle_;
  }

private:
  std::string name_;
  std::shared_ptr<const key_function> key_;
  bool suspend_on_failure_ = false;
  std::optional<caf::timespan> retention_;
  std::string shard_group_;
  caf::timespan max_idle_ = std::chrono::seconds{10};
};

} // namespace caf_cluster::workflow
