// The actors that take sends on this runner, by entity type: one entity
// manager per registered type and the singleton manager. Clients look up the
// first stop of a send here, the router the target of a peer's envelope, the
// shard manager whom to ask to stop a shard.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/error.hpp"

#include "caf_cluster/detail/send_path.hpp"
#include "caf_cluster/entity.hpp"
#include "caf_cluster/internal/entity_manager_actor.hpp"
#include "caf_cluster/internal/shard_table.hpp"
#include "caf_cluster/metrics.hpp"

namespace caf_cluster::internal {

/// One entity type (or the singletons) on this runner.
struct registered_type {
  /// Where sends for the type go.
  detail::deliver_actor deliver;

  /// The same actor as a shard participant.
  shard_participant_actor participant;

  /// The same actor as an entity manager; null for the singleton manager.
  entity_manager_actor manager;

  /// Live counters of the type.
  std::shared_ptr<entity_type_counters> counters;

  /// What the actor has in each shard.
  std::shared_ptr<shard_occupancy> occupancy;

  /// The type's persisted message kinds.
  std::vector<persisted_message> persisted;

  /// The type's own retention of processed messages, if its definition
  /// gives one (zero: for ever).
  std::optional<caf::timespan> message_retention;

  /// The type's shard group (never empty: the entity group when its
  /// definition names none).
  std::string group;

  /// The position of `group` in the shard table, or
  /// `shard_table::not_hosted` (this runner hosts none of its shards).
  size_t group_slot = 0;
};

/// The registered types of one runner; thread-safe.
class entity_registry {
public:
  /// Adds `x` under `name` unless the registry is closed (`shutting_down`)
  /// or has the name (`invalid_argument`).
  caf::error add(const std::string& name, registered_type x);

  /// Calls `f(const registered_type&)` under the lock if `name` is known;
  /// returns whether it was.
  template <class F>
  bool with(const std::string& name, F f) const {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    auto i = types_.find(name);
    if (i == types_.end())
      return false;
    f(i->second);
    return true;
  }

  /// Calls `f(name, const registered_type&)` for every type under the lock.
  template <class F>
  void for_each(F f) const {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    for (auto& kvp : types_)
      f(kvp.first, kvp.second);
  }

  /// Returns every participant.
  std::vector<shard_participant_actor> participants() const;

  /// Refuses further registrations; returns false if closed already.
  bool close();

  /// Returns whether `close` was called.
  bool closed() const;

private:
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, registered_type> types_;
  bool closed_ = false;
};

} // namespace caf_cluster::internal
