#include "caf_cluster/sharding.hpp"

#include <algorithm>
#include <mutex>
#include <random>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/delivery.hpp"
#include "caf_cluster/internal/router.hpp"
#include "caf_cluster/internal/shard_manager.hpp"
#include "caf_cluster/internal/storage_writer.hpp"
#include "caf_cluster/internal/sharding_access.hpp"
#include "caf_cluster/internal/sharding_state.hpp"
#include "caf_cluster/runner_address.hpp"
#include "caf_cluster/socket_transport.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

namespace caf_cluster {

namespace internal {

namespace {

// Answers every message meant for an entity type without a manager: with
// shutting_down after a shutdown, else unknown_entity_type. Routing to it
// keeps one reply path for every outcome, so no caller ever hangs.
caf::behavior refuser_impl(std::shared_ptr<std::atomic<bool>> shutting_down) {
  auto refuse = [=](const std::string& entity_type) {
    if (shutting_down->load())
      return caf::make_error(errc::shutting_down, entity_type);
    return caf::make_error(errc::unknown_entity_type,
                           "entity type '" + entity_type
                             + "' is not registered on this runner");
  };
  return {
    [=](deliver_atom, const std::string& entity_type, const std::string&,
        const caf::message&) -> caf::error { return refuse(entity_type); },
    [=](deliver_atom, const std::string& entity_type, const std::string&,
        const caf::message&, caf::timespan) -> caf::error {
      return refuse(entity_type);
    },
    [=](deliver_atom, const std::string& entity_type, const std::string&,
        const caf::message&, caf::timespan, const delivery&) -> caf::error {
      return refuse(entity_type);
    },
  };
}

// Every runner has a singleton manager (also before any singleton is
// registered), registered like an entity manager so that messages for
// singletons route to it and shard stops and shutdowns reach it.
void start_singleton_manager(sharding_state& st, bool holds_everything) {
  singleton_manager_config cfg;
  cfg.holds_everything = holds_everything;
  cfg.shard_group = st.config.shard_groups.front();
  cfg.shards_per_group = st.config.shards_per_group;
  cfg.grace = st.config.entity_termination_timeout;
  cfg.shards = st.shards;
  cfg.clock = st.clock;
  cfg.check_interval = st.config.lease_refresh_interval;
  cfg.router = st.router;
  cfg.send_timeout = st.config.send_timeout;
  cfg.running = st.running_singletons;
  st.singletons = spawn_singleton_manager(st.system, std::move(cfg));
  std::unique_lock<std::shared_mutex> guard{st.registry_mutex};
  st.registry.emplace(singleton_entity_type,
                      registered_entity{st.singletons,
                                        std::make_shared<entity_type_counters>()});
}

uint64_t random_origin() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

} // namespace

sharding_state::sharding_state(caf::actor_system& sys, sharding_config cfg,
                               std::shared_ptr<wall_clock> clk,
                               runner_options opts, uint16_t machine_id)
  : system(sys),
    config(std::move(cfg)),
    clock(std::move(clk)),
    options(std::move(opts)),
    snowflakes(clock, machine_id),
    refuser_flag(std::make_shared<std::atomic<bool>>(false)),
    origin(random_origin()) {
  refuser = system.spawn(refuser_impl, refuser_flag);
  auto clustered = static_cast<bool>(options.transport);
  shards = std::make_shared<shard_table>(config.shards_per_group,
                                         clustered ? 0 : shard_table::always);
}

sharding_state::~sharding_state() {
  begin_shutdown();
  caf::anon_send_exit(refuser, caf::exit_reason::user_shutdown);
  // A clustered runner's shard manager stops the router and closes the
  // transport once its entity managers are done (see begin_shutdown).
  if (!shard_manager) {
    if (writer)
      caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    if (router)
      caf::anon_send(router, shutdown_atom::value);
    if (options.transport)
      options.transport->close();
  }
}

caf::actor sharding_state::route(const std::string& entity_type) const {
  if (!shutting_down.load(std::memory_order_relaxed)) {
    std::shared_lock<std::shared_mutex> guard{registry_mutex};
    auto i = registry.find(entity_type);
    if (i != registry.end())
      return i->second.manager;
    if (router)
      return router;
  }
  return refuser;
}

caf::actor sharding_state::manager(const std::string& entity_type) const {
  std::shared_lock<std::shared_mutex> guard{registry_mutex};
  auto i = registry.find(entity_type);
  return i != registry.end() ? i->second.manager : caf::actor{};
}

std::vector<caf::actor> sharding_state::managers() const {
  std::vector<caf::actor> result;
  std::shared_lock<std::shared_mutex> guard{registry_mutex};
  for (auto& kvp : registry)
    result.push_back(kvp.second.manager);
  return result;
}

bool sharding_state::begin_shutdown() {
  if (shutting_down.exchange(true))
    return false;
  refuser_flag->store(true);
  std::shared_lock<std::shared_mutex> guard{registry_mutex};
  std::vector<caf::actor> all;
  for (auto& kvp : registry) {
    caf::anon_send(kvp.second.manager, shutdown_atom::value);
    all.push_back(kvp.second.manager);
  }
  // The list travels with the message: the shard manager must wait for
  // these managers even when this state is gone by the time it looks.
  if (shard_manager)
    caf::anon_send(shard_manager, leave_atom::value, std::move(all));
  return true;
}

void simulate_crash(sharding_state& st) {
  st.shutting_down.store(true);
  st.refuser_flag->store(true);
  for (int32_t i = 1; i <= st.shards->size(); ++i)
    st.shards->set(i, 0);
  if (st.options.transport)
    st.options.transport->close();
  for (auto& mgr : st.managers())
    caf::anon_send_exit(mgr, caf::exit_reason::kill);
  if (st.shard_manager)
    caf::anon_send_exit(st.shard_manager, caf::exit_reason::kill);
  if (st.router)
    caf::anon_send_exit(st.router, caf::exit_reason::kill);
  if (st.writer)
    caf::anon_send_exit(st.writer, caf::exit_reason::kill);
}

} // namespace internal

sharding::sharding(std::shared_ptr<internal::sharding_state> state)
  : state_(std::move(state)) {
  // nop
}

caf::expected<sharding> sharding::make(caf::actor_system& sys) {
  auto cfg = read_sharding_config(sys.config());
  if (!cfg)
    return std::move(cfg.error());
  if (cfg->runner_address.empty())
    return make(sys, std::move(*cfg));
  if (!sys.has_middleman())
    return caf::make_error(errc::invalid_config,
                           "cluster.runner-address is set but the actor system "
                           "has no middleman: call "
                           "caf_cluster::enable_socket_transport on its "
                           "configuration");
  auto drivers = storage::open_cluster_storage(cfg->storage, cfg->sqlite());
  if (!drivers)
    return std::move(drivers.error());
  runner_options opts;
  opts.storage = std::move(drivers->runners);
  opts.messages = std::move(drivers->messages);
  opts.transport = make_socket_transport(sys);
  return make_runner(sys, std::move(*cfg), std::move(opts));
}

caf::expected<sharding> sharding::make(caf::actor_system& sys,
                                       sharding_config cfg,
                                       std::shared_ptr<wall_clock> clock) {
  if (auto err = cfg.validate())
    return err;
  if (!clock)
    clock = make_system_wall_clock();
  auto state = std::make_shared<internal::sharding_state>(
    sys, std::move(cfg), std::move(clock), runner_options{}, 0);
  internal::start_singleton_manager(*state, true);
  return sharding{std::move(state)};
}

caf::expected<sharding> sharding::make_runner(caf::actor_system& sys,
                                              sharding_config cfg,
                                              runner_options opts,
                                              std::shared_ptr<wall_clock> clock) {
  if (auto err = cfg.validate())
    return err;
  if (!opts.storage || !opts.transport)
    return caf::make_error(errc::invalid_argument,
                           "runner_options needs both storage and transport");
  if (!opts.client_only && cfg.runner_address.empty())
    return caf::make_error(errc::invalid_config,
                           "cluster.runner-address must be set for a runner "
                           "that hosts shards (or use client_only)");
  if (!clock)
    clock = make_system_wall_clock();
  auto state = std::make_shared<internal::sharding_state>(sys, cfg, clock,
                                                          opts, 0);
  internal::router_config rcfg;
  rcfg.group = cfg.shard_groups.front();
  rcfg.shards_per_group = cfg.shards_per_group;
  rcfg.retry_interval = cfg.send_retry_interval;
  rcfg.send_timeout = cfg.send_timeout;
  rcfg.transport = opts.transport;
  rcfg.sharding = state;
  state->router = internal::spawn_router(sys, std::move(rcfg));
  if (opts.messages)
    state->writer = internal::spawn_storage_writer(sys, opts.messages,
                                                   opts.detach_storage_calls);
  if (!opts.client_only) {
    // Validated above, so both parse.
    auto advertised = *parse_runner_address(cfg.runner_address);
    auto bind = cfg.runner_listen_address.empty()
                  ? advertised
                  : *parse_runner_address(cfg.runner_listen_address);
    auto bound = opts.transport->listen(state->router, bind, advertised);
    if (!bound)
      return std::move(bound.error());
    state->address = to_string(*bound);
    caf::anon_send(state->router, address_atom::value, state->address);
    storage::runner_row row;
    row.address = state->address;
    row.weight = cfg.runner_weight;
    row.groups = cfg.shard_groups;
    auto lease_ms = to_ms(cfg.lease_duration);
    auto id = opts.storage->register_runner(row, cfg.shards_per_group,
                                            clock->now_ms(), lease_ms);
    if (!id)
      return std::move(id.error());
    state->snowflakes.machine_id(static_cast<uint16_t>(*id));
  }
  internal::start_singleton_manager(*state, false);
  internal::shard_manager_config mcfg;
  mcfg.address = state->address;
  mcfg.weight = cfg.runner_weight;
  mcfg.groups = cfg.shard_groups;
  mcfg.shards_per_group = cfg.shards_per_group;
  mcfg.lease_duration = cfg.lease_duration;
  mcfg.refresh_interval = cfg.lease_refresh_interval;
  mcfg.assignments_interval = cfg.refresh_assignments_interval;
  mcfg.termination_timeout = cfg.entity_termination_timeout;
  mcfg.storage = opts.storage;
  mcfg.clock = clock;
  mcfg.table = state->shards;
  mcfg.router = state->router;
  mcfg.transport = opts.transport;
  mcfg.sharding = state;
  mcfg.writer = state->writer;
  mcfg.singletons = state->singletons;
  mcfg.message_claim_timeout = cfg.message_claim_timeout;
  mcfg.detached = opts.detach_storage_calls;
  state->shard_manager = internal::spawn_shard_manager(sys, std::move(mcfg));
  return sharding{std::move(state)};
}

caf::error sharding::register_entity_impl(const std::string& name,
                                          const entity_options& options,
                                          internal::entity_factory factory) {
  auto& cfg = state_->config;
  if (name.empty())
    return caf::make_error(errc::invalid_argument,
                           "entity type name must not be empty");
  auto max_idle = options.max_idle.value_or(cfg.entity_max_idle);
  if (max_idle.count() <= 0)
    return caf::make_error(errc::invalid_argument,
                           "max_idle of entity type '" + name
                             + "' must be positive");
  auto capacity = options.mailbox_capacity.value_or(
    cfg.entity_mailbox_capacity);
  if (capacity < 1)
    return caf::make_error(errc::invalid_argument,
                           "mailbox_capacity of entity type '" + name
                             + "' must be at least 1, got "
                             + std::to_string(capacity));
  if ((!options.persisted.empty() || options.durable) && !state_->writer)
    return caf::make_error(errc::invalid_config,
                           "entity type '" + name
                             + "' has persisted messages or durable state, but "
                               "this runner has no message storage (set "
                               "cluster.storage, or runner_options::messages)");
  std::unique_lock<std::shared_mutex> guard{state_->registry_mutex};
  // Checked under the lock so that no manager escapes a concurrent shutdown.
  if (state_->shutting_down.load())
    return caf::make_error(errc::shutting_down, name);
  if (state_->registry.count(name) > 0)
    return caf::make_error(errc::invalid_argument,
                           "entity type '" + name + "' is already registered");
  internal::entity_manager_config mcfg;
  mcfg.entity_type = name;
  mcfg.shard_group = cfg.shard_groups.front();
  mcfg.shards_per_group = cfg.shards_per_group;
  mcfg.max_idle = max_idle;
  mcfg.mailbox_capacity = capacity;
  mcfg.keep_alive = options.keep_alive;
  mcfg.termination_timeout = cfg.entity_termination_timeout;
  mcfg.factory = std::move(factory);
  mcfg.counters = std::make_shared<entity_type_counters>();
  mcfg.sharding = state_;
  mcfg.shards = state_->shards;
  mcfg.clock = state_->clock;
  mcfg.router = state_->router;
  mcfg.send_timeout = cfg.send_timeout;
  mcfg.persisted = options.persisted;
  mcfg.durable = options.durable;
  mcfg.writer = state_->writer;
  mcfg.claim_timeout = cfg.message_claim_timeout;
  auto counters = mcfg.counters;
  auto manager = internal::spawn_entity_manager(state_->system, std::move(mcfg));
  state_->registry.emplace(name, internal::registered_entity{manager, counters});
  return caf::none;
}

caf::error sharding::register_singleton_impl(std::string name,
                                             std::string group,
                                             internal::singleton_factory f) {
  auto& entity_group = state_->config.shard_groups.front();
  if (group.empty())
    group = entity_group;
  if (group != entity_group)
    return caf::make_error(errc::invalid_argument,
                           "singleton '" + name + "': shard group '" + group
                             + "' is not the entity group '" + entity_group
                             + "' (the first of cluster.shard-groups)");
  auto shard = make_shard_id(name, group, state_->config.shards_per_group);
  if (!shard)
    return caf::make_error(errc::invalid_argument,
                           "singleton name must be non-empty UTF-8: "
                             + state_->system.render(shard.error()));
  std::unique_lock<std::shared_mutex> guard{state_->registry_mutex};
  if (state_->shutting_down.load())
    return caf::make_error(errc::shutting_down, "singleton '" + name + "'");
  if (!state_->singleton_names.insert(name).second)
    return caf::make_error(errc::invalid_argument,
                           "singleton '" + name + "' is already registered");
  caf::anon_send(state_->singletons, internal::add_singleton_atom::value,
                 std::move(name), shard->index, std::move(f));
  return caf::none;
}

caf::expected<caf_cluster::shard_id>
sharding::shard_id(std::string_view entity_id, std::string group) const {
  return make_shard_id(entity_id, std::move(group),
                       state_->config.shards_per_group);
}

bool sharding::has_shard_id(const caf_cluster::shard_id& shard) const {
  if (is_shutdown())
    return false;
  // Entities live in the first group; other groups have no entities yet.
  return shard.group == state_->config.shard_groups.front()
         && state_->shards->active(shard.index, *state_->clock);
}

snowflake sharding::next_snowflake() const {
  return state_->snowflakes.next();
}

bool sharding::is_shutdown() const noexcept {
  return state_->shutting_down.load();
}

void sharding::shutdown() {
  state_->begin_shutdown();
}

bool sharding::await_shutdown(caf::timespan timeout) {
  shutdown();
  std::vector<caf::actor> managers;
  {
    std::shared_lock<std::shared_mutex> guard{state_->registry_mutex};
    for (auto& kvp : state_->registry)
      managers.push_back(kvp.second.manager);
  }
  // The shard manager quits after releasing this runner's leases.
  if (state_->shard_manager)
    managers.push_back(state_->shard_manager);
  caf::scoped_actor self{state_->system};
  for (auto& m : managers)
    self->monitor(m);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t down = 0;
  bool timed_out = false;
  while (down < managers.size() && !timed_out) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left.count() <= 0)
      break;
    self->receive([&](caf::down_msg&) { ++down; },
                  caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left)) >>
                    [&] { timed_out = true; });
  }
  return down == managers.size();
}

metrics_snapshot sharding::metrics() const {
  metrics_snapshot result;
  {
    std::shared_lock<std::shared_mutex> guard{state_->registry_mutex};
    for (auto& kvp : state_->registry)
      if (kvp.first != singleton_entity_type)
        result.entity_types.push_back(
          snapshot(kvp.first, *kvp.second.counters));
  }
  result.singletons = state_->running_singletons->load();
  std::sort(result.entity_types.begin(), result.entity_types.end(),
            [](auto& x, auto& y) { return x.entity_type < y.entity_type; });
  if (!is_shutdown())
    for (int32_t i = 1; i <= state_->shards->size(); ++i)
      if (state_->shards->active(i, *state_->clock))
        ++result.active_shards;
  return result;
}

const sharding_config& sharding::config() const noexcept {
  return state_->config;
}

caf::actor_system& sharding::system() const noexcept {
  return state_->system;
}

caf::actor sharding::route(const std::string& entity_type) const {
  return state_->route(entity_type);
}

caf::timespan sharding::send_timeout() const noexcept {
  return state_->config.send_timeout;
}

} // namespace caf_cluster
