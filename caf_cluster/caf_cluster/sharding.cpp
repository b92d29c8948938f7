// The sharding handle: starting a node and the queries and controls of the
// service. The wiring of a node's actors is in internal/wiring.cpp,
// registration in sharding_registration.cpp, metrics in sharding_metrics.cpp.
#include "caf_cluster/sharding.hpp"

#include <chrono>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/logger.hpp"
#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/internal/runtime.hpp"
#include "caf_cluster/internal/wiring.hpp"
#include "caf_cluster/runner_address.hpp"
#include "caf_cluster/websocket_transport.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

namespace caf_cluster {

sharding::sharding(std::shared_ptr<internal::runtime> state)
  : state_(std::move(state)) {
  // nop
}

caf::expected<sharding> sharding::make(caf::actor_system& sys) {
  auto cfg = read_sharding_config(sys.config());
  if (!cfg)
    return std::move(cfg.error());
  if (cfg->runner_address.empty() && !cfg->client_only)
    return make(sys, std::move(*cfg));
  if (!sys.has_middleman())
    return caf::make_error(errc::invalid_config,
                           "cluster.runner-address or cluster.client-only is "
                           "set but the actor system has no middleman: call "
                           "caf_cluster::enable_socket_transport on its "
                           "configuration");
  auto drivers = storage::open_cluster_storage(cfg->storage, cfg->sqlite());
  if (!drivers)
    return std::move(drivers.error());
  runner_options opts;
  opts.storage = std::move(drivers->runners);
  opts.messages = std::move(drivers->messages);
  auto transport = make_configured_transport(sys, *cfg);
  if (!transport)
    return std::move(transport.error());
  opts.transport = std::move(*transport);
  return make_runner(sys, std::move(*cfg), std::move(opts));
}

caf::expected<sharding> sharding::make(caf::actor_system& sys,
                                       sharding_config cfg,
                                       std::shared_ptr<wall_clock> clock) {
  if (auto err = cfg.validate())
    return err;
  if (!clock)
    clock = make_system_wall_clock();
  auto rt = internal::start_single(sys, std::move(cfg), std::move(clock));
  if (!rt)
    return std::move(rt.error());
  return sharding{std::move(*rt)};
}

caf::expected<sharding>
sharding::make_runner(caf::actor_system& sys, sharding_config cfg,
                      runner_options opts, std::shared_ptr<wall_clock> clock) {
  if (auto err = cfg.validate())
    return err;
  if (!opts.storage || !opts.transport)
    return caf::make_error(errc::invalid_argument,
                           "runner_options needs both storage and transport");
  opts.client_only = opts.client_only || cfg.client_only;
  if (!opts.client_only && cfg.runner_address.empty())
    return caf::make_error(errc::invalid_config,
                           "cluster.runner-address must be set for a runner "
                           "that hosts shards (or use client_only)");
  if (!clock)
    clock = make_system_wall_clock();
  auto rt = internal::start_runner(sys, std::move(cfg), std::move(opts),
                                   std::move(clock));
  if (!rt)
    return std::move(rt.error());
  return sharding{std::move(*rt)};
}

caf::expected<caf_cluster::shard_id>
sharding::shard_id(std::string_view entity_id, std::string group) const {
  return make_shard_id(entity_id, std::move(group),
                       state_->node->config.shards_per_group);
}

bool sharding::has_shard_id(const caf_cluster::shard_id& shard) const {
  if (is_shutdown())
    return false;
  auto& n = *state_->node;
  auto g = n.shards->position(shard.group);
  return g != internal::shard_table::not_hosted
    && n.shards->active(shard.index, *n.clock, g);
}

snowflake sharding::next_snowflake() const {
  return state_->node->snowflakes->next();
}

bool sharding::is_shutdown() const noexcept {
  return state_->shutting_down->load();
}

void sharding::shutdown() {
  state_->begin_shutdown();
}

std::shared_future<void> sharding::shutdown_requested() const {
  return state_->drain_requested;
}

bool sharding::await_shutdown(caf::timespan timeout) {
  shutdown();
  std::vector<caf::actor> actors;
  for (auto& x : state_->node->registry->participants())
    actors.push_back(caf::actor_cast<caf::actor>(x));
  // The shard manager quits after releasing this runner's leases.
  if (state_->shard_manager)
    actors.push_back(caf::actor_cast<caf::actor>(state_->shard_manager));
  caf::scoped_actor self{state_->system()};
  for (auto& x : actors)
    self->monitor(x);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t down = 0;
  bool timed_out = false;
  while (down < actors.size() && !timed_out) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left.count() <= 0)
      break;
    self->receive(
      [&](caf::down_msg&) {
        ++down;
      },
      caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left)) >>
        [&] {
          timed_out = true;
        });
  }
  return down == actors.size();
}

const sharding_config& sharding::config() const noexcept {
  return state_->node->config;
}

caf::actor_system& sharding::system() const noexcept {
  return state_->system();
}

std::shared_ptr<wall_clock> sharding::clock() const noexcept {
  return state_->node->clock;
}

const std::string& sharding::address() const noexcept {
  return state_->address;
}

std::function<void(log_level, std::string)>
sharding::log_to(std::string component) const {
  return [log = state_->node->log, component = std::move(component)](
           log_level level, std::string text) {
    log->log(level, component.c_str(), text);
  };
}

message_storage sharding::messages() const {
  return state_->storage;
}

storage::cluster_storage sharding::storage_drivers() const {
  return {state_->options.storage, state_->options.messages};
}

std::vector<std::string> sharding::singleton_names() const {
  std::unique_lock<std::mutex> guard{state_->singleton_mutex};
  return {state_->singleton_names.begin(), state_->singleton_names.end()};
}

caf::actor sharding::route(const std::string& entity_type) const {
  return state_->route(entity_type);
}

caf::timespan sharding::send_timeout() const noexcept {
  return state_->node->config.send_timeout;
}

std::weak_ptr<detail::send_path> sharding::send_path() const {
  return state_;
}

} // namespace caf_cluster
