// Registering entity types and singletons on a node: the rules a definition
// must meet, and the actors a registration starts.
#include "caf_cluster/sharding.hpp"

#include <mutex>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/entity_manager.hpp"
#include "caf_cluster/internal/recovery_actor.hpp"
#include "caf_cluster/internal/runtime.hpp"
#include "caf_cluster/singleton.hpp"

namespace caf_cluster {

caf::error sharding::register_entity_impl(
  const std::string& name, const entity_options& options,
  detail::entity_factory factory,
  const std::vector<const std::type_info*>& types) {
  auto& n = *state_->node;
  auto& cfg = n.config;
  if (name.empty())
    return caf::make_error(errc::invalid_argument,
                           "entity type name must not be empty");
  auto& group = n.group_or_default(options.shard_group);
  // Shard ids print as <group>:<id>: make_shard_id refuses a ':'.
  if (auto probe = make_shard_id("probe", group, cfg.shards_per_group); !probe)
    return caf::make_error(errc::invalid_argument,
                           "shard group '" + group + "' of entity type '"
                             + name + "' is invalid: "
                             + n.system.render(probe.error()));
  auto max_idle = options.max_idle.value_or(cfg.entity_max_idle);
  if (max_idle.count() <= 0)
    return caf::make_error(errc::invalid_argument,
                           "max_idle of entity type '" + name
                             + "' must be positive");
  auto capacity
    = options.mailbox_capacity.value_or(cfg.entity_mailbox_capacity);
  if (capacity < 1)
    return caf::make_error(errc::invalid_argument,
                           "mailbox_capacity of entity type '" + name
                             + "' must be at least 1, got "
                             + std::to_string(capacity));
  if (options.message_retention
      && options.message_retention->count() < 0)
    return caf::make_error(errc::invalid_argument,
                           "message_retention of entity type '" + name
                             + "' must not be negative (retain_forever, "
                               "zero, keeps messages for ever)");
  if ((!options.persisted.empty() || options.durable) && !state_->storage)
    return caf::make_error(
      errc::invalid_config,
      "entity type '" + name
        + "' has persisted messages or durable state, but this runner has no "
          "message storage: set cluster.storage=sqlite:<path> (a single "
          "runner opens it without a port; runners of a cluster share it), "
          "or give make_runner a runner_options::messages driver");
  // Here rather than at the first persisted send, which would fail with
  // malformed_message on every send.
  if (auto err = detail::check_entity_types(n.system, name, types))
    return err;
  if (n.registry->closed())
    return caf::make_error(errc::shutting_down, name);
  internal::entity_manager_config mcfg;
  mcfg.node = state_->node;
  mcfg.entity_type = name;
  mcfg.shard_group = group;
  mcfg.group_slot = n.group_slot(group);
  mcfg.max_idle = max_idle;
  mcfg.mailbox_capacity = capacity;
  mcfg.keep_alive = options.keep_alive;
  mcfg.factory = std::move(factory);
  mcfg.counters = std::make_shared<entity_type_counters>();
  mcfg.occupancy
    = std::make_shared<internal::shard_occupancy>(cfg.shards_per_group);
  mcfg.persisted = options.persisted;
  mcfg.durable = options.durable;
  mcfg.storage = state_->storage;
  mcfg.router = state_->router;
  mcfg.service = state_;
  internal::registered_type entry;
  entry.counters = mcfg.counters;
  entry.occupancy = mcfg.occupancy;
  entry.persisted = options.persisted;
  entry.message_retention = options.message_retention;
  entry.group = group;
  entry.group_slot = mcfg.group_slot;
  if (entry.group_slot == internal::shard_table::not_hosted)
    n.log->info("node", "entity type '", name, "' is in shard group '", group,
                "', which this runner does not host (cluster.shard-groups): "
                "its messages go to runners that do");
  auto mgr = internal::spawn_entity_manager(n.system, std::move(mcfg));
  entry.deliver = mgr;
  entry.participant = mgr;
  entry.manager = mgr;
  if (auto err = n.registry->add(name, std::move(entry))) {
    caf::anon_send_exit(mgr, caf::exit_reason::kill);
    return err;
  }
  // Stored messages of the type claimed before it was registered here.
  if (state_->recovery)
    caf::anon_send(state_->recovery, internal::adopt_atom::value);
  return caf::none;
}

caf::error sharding::register_singleton_impl(std::string name,
                                             std::string group,
                                             detail::singleton_factory f) {
  auto& n = *state_->node;
  auto& entity_group = n.entity_group();
  if (group.empty())
    group = entity_group;
  if (group != entity_group)
    return caf::make_error(errc::invalid_argument,
                           "singleton '" + name + "': shard group '" + group
                             + "' is not the entity group '" + entity_group
                             + "' (the first of cluster.shard-groups)");
  auto shard = make_shard_id(name, group, n.config.shards_per_group);
  if (!shard)
    return caf::make_error(errc::invalid_argument,
                           "singleton name must be non-empty UTF-8: "
                             + n.system.render(shard.error()));
  std::unique_lock<std::mutex> guard{state_->singleton_mutex};
  if (n.registry->closed())
    return caf::make_error(errc::shutting_down, "singleton '" + name + "'");
  if (!state_->singleton_names.insert(name).second)
    return caf::make_error(errc::invalid_argument,
                           "singleton '" + name + "' is already registered");
  caf::anon_send(state_->singletons, internal::add_singleton_atom::value,
                 std::move(name), shard->index, std::move(f));
  return caf::none;
}

} // namespace caf_cluster
