// The definition of an entity type: a CAF typed actor interface, a name that is
// unique in the cluster, and options. Clients are made from a definition alone,
// so a node can talk to entities it does not host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "caf/timespan.hpp"

namespace caf_cluster {

/// Per-type options; unset values fall back to the `sharding_config` defaults.
struct entity_options {
  /// Passivate an entity after this long without messages
  /// (default: `cluster.entity-max-idle`).
  std::optional<caf::timespan> max_idle;

  /// Bound on messages queued or running for one entity; one more is refused
  /// with `errc::mailbox_full` (default: `cluster.entity-mailbox-capacity`).
  std::optional<int64_t> mailbox_capacity;

  /// Never passivate entities of this type (they stay resident until their
  /// shard moves or the runner stops).
  bool keep_alive = false;
};

/// Definition of an entity type whose behaviour implements `Interface`, a
/// `caf::typed_actor<...>`. Builder-style: every setter returns a copy, so a
/// definition can be a namespace-scope constant:
///
/// ~~~
/// inline const auto counter = caf_cluster::entity<counter_actor>("Counter")
///   .max_idle(std::chrono::minutes{2})
///   .mailbox_capacity(4096);
/// ~~~
template <class Interface>
class entity {
public:
  /// The typed actor interface of this entity.
  using interface_type = Interface;

  /// The message signatures a client may send.
  using signatures = typename Interface::signatures;

  /// Creates a definition for the entity type `name`.
  explicit entity(std::string name) : name_(std::move(name)) {
    // nop
  }

  /// Returns the entity type name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Returns the options of this type.
  const entity_options& options() const noexcept {
    return options_;
  }

  /// Returns a copy that passivates entities after `x` without messages.
  [[nodiscard]] entity max_idle(caf::timespan x) const {
    auto result = *this;
    result.options_.max_idle = x;
    return result;
  }

  /// Returns a copy that refuses messages beyond `x` queued per entity.
  [[nodiscard]] entity mailbox_capacity(int64_t x) const {
    auto result = *this;
    result.options_.mailbox_capacity = x;
    return result;
  }

  /// Returns a copy whose entities are never passivated when `x` is true.
  [[nodiscard]] entity keep_alive(bool x = true) const {
    auto result = *this;
    result.options_.keep_alive = x;
    return result;
  }

private:
  std::string name_;
  entity_options options_;
};

} // namespace caf_cluster
