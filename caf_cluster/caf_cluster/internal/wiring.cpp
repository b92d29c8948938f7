#include "caf_cluster/internal/wiring.hpp"

#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/recovery.hpp"
#include "caf_cluster/internal/retention_sweeper.hpp"
#include "caf_cluster/internal/router.hpp"
#include "caf_cluster/internal/shard_manager.hpp"
#include "caf_cluster/internal/singleton_manager.hpp"
#include "caf_cluster/internal/storage_writer.hpp"
#include "caf_cluster/runner_address.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/singleton.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_file_mode.hpp"
#include "caf_cluster/storage/storage_uri.hpp"

namespace caf_cluster::internal {

namespace {

// Message storage over `driver`: the writer, the typed layer (whose fenced
// writes stop the shard in the table), the recovery actor and, on a node
// that hosts entities (`sweep`), the retention sweeper.
void start_message_storage(runtime& rt,
                           std::shared_ptr<storage::message_driver> driver,
                           bool detached, bool sweep) {
  auto& n = *rt.node;
  auto writer = spawn_storage_writer(n.system, driver, detached, n.log,
                                     n.clock, n.counters);
  if (sweep)
    spawn_retention_sweeper(n.system, rt.node, std::move(driver),
                            caf::actor_cast<caf::actor>(writer), detached);
  auto on_fenced = [shards = n.shards, log = n.log](const std::string& shard,
                                                     int64_t epoch) {
    auto x = parse_shard_id(shard);
    if (x && shards->fence(x->index, epoch, shards->position(x->group)))
      log->warning("shards", "lost ", shard, ": storage refused a write under "
                                             "lease epoch ",
                   epoch, " (a newer owner exists)");
  };
  // The group of a stored send that names none: its type's, if registered.
  auto group_of = [registry = n.registry, fallback = n.entity_group()](
                    const std::string& entity_type) {
    auto result = fallback;
    registry->with(entity_type, [&](const registered_type& t) {
      result = t.group;
    });
    return result;
  };
  rt.storage = message_storage{
    n.system,         std::move(writer),         n.snowflakes,
    n.entity_group(), n.config.shards_per_group, std::move(on_fenced),
    std::move(group_of)};
  rt.recovery = spawn_recovery(n.system, recovery_config{rt.node, rt.storage});
}

// Every node has a singleton manager (also before any singleton is
// registered), registered like an entity manager so that messages for
// singletons route to it and shard stops and shutdowns reach it.
caf::error start_singleton_manager(runtime& rt) {
  auto& n = *rt.node;
  auto occupancy = std::make_shared<shard_occupancy>(n.config.shards_per_group);
  rt.singletons = spawn_singleton_manager(
    n.system, singleton_manager_config{rt.node, occupancy, rt.router});
  registered_type x;
  x.deliver = rt.singletons;
  x.participant = rt.singletons;
  x.counters = std::make_shared<entity_type_counters>();
  x.occupancy = std::move(occupancy);
  x.group = n.entity_group();
  x.group_slot = 0;
  return n.registry->add(singleton_entity_type, std::move(x));
}

// A single runner does not lease its shards, so it must not share its
// database with a cluster: its writes would run beside the cluster's owners
// (and storage would refuse them by the cluster's lease epochs).
caf::error check_single_database(const sharding_config& cfg,
                                 storage::runner_driver& runners) {
  auto in_use = [&]() -> caf::expected<bool> {
    auto rows = runners.all_runners();
    if (!rows)
      return std::move(rows.error());
    if (!rows->empty())
      return true;
    for (int32_t i = 1; i <= cfg.shards_per_group; ++i) {
      auto epoch = runners.current_epoch(
        to_string(shard_id{cfg.shard_groups.front(), i}));
      if (!epoch)
        return std::move(epoch.error());
      if (*epoch > 0)
        return true;
    }
    return false;
  }();
  if (!in_use)
    return std::move(in_use.error());
  if (*in_use)
    return caf::make_error(errc::invalid_config,
                           "cluster.storage=" + cfg.storage
                             + " belongs to a cluster (runners registered or "
                               "shards leased there): a single runner needs a "
                               "database of its own");
  return caf::none;
}

// An existing file keeps the mode it has; one that other local users may
// read exposes every payload and entity state to them, which is said once.
void warn_if_exposed(const node_context& n) {
  auto uri = storage::parse_storage_uri(n.config.storage);
  if (!uri || uri->type != storage::storage_uri::kind::sqlite)
    return;
  for (auto& file : storage::exposed_sqlite_files(uri->path))
    n.log->warning("storage", file,
                   " is readable or writable by other users of this host: "
                   "they can read every stored message and entity state "
                   "(chmod 600 it; new files are created that way)");
}

} // namespace

caf::expected<std::shared_ptr<runtime>>
start_single(caf::actor_system& sys, sharding_config cfg,
             std::shared_ptr<wall_clock> clock) {
  auto rt = std::make_shared<runtime>(sys, std::move(cfg), std::move(clock),
                                      runner_options{});
  auto& n = *rt->node;
  if (n.config.storage != "memory") {
    auto drivers = storage::open_cluster_storage(n.config.storage,
                                                 n.config.sqlite());
    if (!drivers)
      return std::move(drivers.error());
    if (auto err = check_single_database(n.config, *drivers->runners))
      return err;
    warn_if_exposed(n);
    // Kept for `sharding::storage_drivers` (runner storage stays empty: a
    // single runner leases nothing).
    rt->options.messages = drivers->messages;
    start_message_storage(*rt, std::move(drivers->messages), true, true);
    // Everything a previous process left unprocessed (a claim time of 0
    // takes what it had claimed too); rows of types registered later wait
    // for them.
    std::vector<std::string> all;
    for (auto& group : n.config.shard_groups)
      for (int32_t i = 1; i <= n.config.shards_per_group; ++i)
        all.push_back(to_string(shard_id{group, i}));
    caf::anon_send(rt->recovery, recover_atom::value, std::move(all));
  }
  rt->front_door = spawn_front_door(sys, rt);
  if (auto err = start_singleton_manager(*rt))
    return err;
  n.log->info("node", "single-process node started (storage ", n.config.storage,
              ", ", n.config.shards_per_group, " shards)");
  rt->started = true;
  return rt;
}

caf::expected<std::shared_ptr<runtime>>
start_runner(caf::actor_system& sys, sharding_config cfg, runner_options opts,
             std::shared_ptr<wall_clock> clock) {
  auto rt = std::make_shared<runtime>(sys, std::move(cfg), std::move(clock),
                                      opts);
  auto& n = *rt->node;
  opts.storage->set_max_clock_skew(to_ms(n.config.max_clock_skew));
  if (!opts.client_only)
    warn_if_exposed(n);
  rt->router = spawn_router(sys, router_config{rt->node, opts.transport});
  if (opts.messages)
    start_message_storage(*rt, opts.messages, opts.detach_storage_calls,
                          !opts.client_only);
  if (!opts.client_only) {
    // Validated by the caller, so both parse.
    auto advertised = *parse_runner_address(n.config.runner_address);
    auto bind = n.config.runner_listen_address.empty()
      ? advertised
      : *parse_runner_address(n.config.runner_listen_address);
    auto bound = opts.transport->listen(caf::actor_cast<caf::actor>(rt->router),
                                        bind, advertised);
    if (!bound)
      return std::move(bound.error());
    rt->address = to_string(*bound);
    storage::runner_row row;
    row.address = rt->address;
    row.weight = n.config.runner_weight;
    row.groups = n.config.shard_groups;
    auto id = opts.storage->register_runner(row, n.config.shards_per_group,
                                            n.clock->now_ms(),
                                            to_ms(n.config.lease_duration));
    if (!id)
      return std::move(id.error());
    n.snowflakes->machine_id(static_cast<uint16_t>(*id));
    n.log->runner(rt->address);
    if (auto why = opts.transport->exposure(bind); !why.empty())
      n.log->warning("security", why);
    n.log->info("membership", "registered (machine id ", *id, ")");
  }
  rt->front_door = spawn_front_door(sys, rt);
  if (auto err = start_singleton_manager(*rt))
    return err;
  shard_manager_config mcfg;
  mcfg.node = rt->node;
  mcfg.address = rt->address;
  mcfg.storage = opts.storage;
  mcfg.router = rt->router;
  mcfg.recovery = rt->recovery;
  mcfg.singletons = rt->singletons;
  mcfg.detached = opts.detach_storage_calls;
  // The router and the transport go last: replies to peers travel through
  // them until the runner has left.
  // (The shard manager stops the router itself.)
  mcfg.on_left = [writer = rt->storage.writer(), recovery = rt->recovery,
                  transport = opts.transport] {
    if (writer)
      caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    if (recovery)
      caf::anon_send_exit(recovery, caf::exit_reason::user_shutdown);
    if (transport)
      transport->close();
  };
  // Weak: the runtime owns the shard manager, not the other way round.
  mcfg.on_drain_requested = [weak = std::weak_ptr<runtime>{rt}] {
    if (auto strong = weak.lock())
      strong->drain();
  };
  rt->shard_manager = spawn_shard_manager(sys, std::move(mcfg));
  // A client (a command line tool) keeps its stderr for its own output.
  if (opts.client_only)
    n.log->debug("node", "client-only node started (",
                 n.config.shards_per_group, " shards per group)");
  else
    n.log->info("node", "runner started (", n.config.shards_per_group,
                " shards per group in ", n.config.shard_groups.size(),
                " groups)");
  rt->started = true;
  return rt;
}

} // namespace caf_cluster::internal
