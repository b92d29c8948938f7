#include "caf_cluster/internal/node_context.hpp"

#include <random>

namespace caf_cluster::internal {

namespace {

uint64_t random_origin() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

} // namespace

node_context::node_context(caf::actor_system& sys, sharding_config cfg,
                           std::shared_ptr<wall_clock> clk, bool own_everything,
                           log_sink sink)
  : system(sys), single(own_everything), config(std::move(cfg)), clock(std::move(clk)),
    snowflakes(std::make_shared<snowflake_generator>(clock, 0)),
    origin(random_origin()),
    shards(std::make_shared<shard_table>(
      config.shard_groups, config.shards_per_group, own_everything)),
    registry(std::make_shared<entity_registry>()),
    log(std::make_shared<logger>(sys, config.log_level, std::move(sink),
                                 clock)),
    running_singletons(std::make_shared<std::atomic<int64_t>>(0)),
    residents(std::make_shared<residency>(config.max_resident_entities)),
    storage_state(std::make_shared<storage_health>()),
    counters(std::make_shared<runner_counters>()) {
  // nop
}

} // namespace caf_cluster::internal
