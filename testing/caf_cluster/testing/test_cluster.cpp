#include "caf_cluster/testing/test_cluster.hpp"

#include <algorithm>
#include <stdexcept>

#include "caf_cluster/internal/sharding_access.hpp"
#include "caf_cluster/runner_options.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/testing/cuttable_runner_driver.hpp"
#include "caf_cluster/testing/runner_actors.hpp"

namespace caf_cluster::testing {

struct test_cluster::node {
  std::shared_ptr<cuttable_runner_driver> storage;
  std::optional<sharding> cluster;
  bool killed = false;
  bool paused = false;
};

sharding_config test_cluster::default_config() {
  sharding_config cfg;
  cfg.shards_per_group = 30;
  cfg.entity_termination_timeout = std::chrono::seconds{1};
  cfg.send_timeout = std::chrono::seconds{3};
  return cfg;
}

test_cluster::test_cluster(size_t runners, setup_hook setup,
                           const config_hook& configure, sharding_config config)
  : cfg_(configure),
    sys_(cfg_),
    sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())),
    clock_(std::make_shared<manual_wall_clock>(start_ms)),
    config_(std::move(config)),
    setup_(std::move(setup)),
    store_(storage::make_memory_runner_store()),
    network_(std::make_shared<memory_network>()),
    nodes_(runners) {
  // Keeps actor-clock arithmetic away from the epoch.
  sched_.clock().current_time += std::chrono::hours(1);
  try {
    for (size_t i = 0; i < runners; ++i)
      start(i);
  } catch (...) {
    // The actor system's destructor waits for every actor: without a drain
    // first it would wait for ever on the test coordinator.
    stop_all();
    throw;
  }
  for (int i = 0; i < 20; ++i)
    advance(step);
}

test_cluster::~test_cluster() {
  stop_all();
}

void test_cluster::stop_all() {
  for (auto& n : nodes_)
    n.paused = false;
  refresh_frozen();
  for (auto& n : nodes_)
    if (n.cluster)
      n.cluster->shutdown();
  run();
  // Shard managers tick until they left; request guards and grace timers
  // fire. Bounded: a timer that keeps re-arming must not hang a test.
  for (int i = 0; i < 10'000 && sched_.clock().has_pending_timeout(); ++i) {
    sched_.clock().trigger_timeout();
    run();
  }
  for (auto& n : nodes_)
    n.cluster.reset();
  run();
}

size_t test_cluster::run() {
  return run_except(sched_, frozen_);
}

void test_cluster::advance(caf::timespan d) {
  // One long jump would fire each periodic timer once, late: leases would
  // lapse unrefreshed and a healthy runner lose its shards.
  while (d.count() > 0) {
    auto dt = std::min(d, step);
    clock_->advance_ms(to_ms(dt));
    sched_.clock().advance_time(dt);
    run();
    d -= dt;
  }
}

bool test_cluster::advance_until(const std::function<bool()>& pred,
                                 caf::timespan limit) {
  for (caf::timespan waited{0}; !pred(); waited += step) {
    if (waited >= limit)
      return false;
    advance(step);
  }
  return true;
}

void test_cluster::await(const std::function<bool()>& pred,
                         caf::timespan timeout) {
  run();
  // The entity manager answers `timeout` itself; the extra 2 s cover a
  // requester whose runner died and never answers.
  advance_until(pred, timeout + std::chrono::seconds{2});
}

size_t test_cluster::size() const noexcept {
  return nodes_.size();
}

std::string test_cluster::address(size_t i) const {
  return "10.0.0." + std::to_string(i + 1) + ":4000";
}

bool test_cluster::up(size_t i) const {
  auto& n = nodes_.at(i);
  return n.cluster && !n.killed && !n.cluster->is_shutdown();
}

sharding& test_cluster::runner(size_t i) {
  auto& n = nodes_.at(i);
  if (!n.cluster)
    throw std::out_of_range("runner " + std::to_string(i) + " never started");
  return *n.cluster;
}

void test_cluster::start(size_t i) {
  auto& n = nodes_[i];
  // A runner still leaving holds its address (as a stopping process holds
  // its port) until its shard manager is done: wait for that first.
  for (int k = 0; k < 300 && network_->find(address(i)); ++k)
    advance(step);
  n.killed = n.paused = false;
  n.cluster.reset();
  refresh_frozen();
  n.storage = std::make_shared<cuttable_runner_driver>(
    storage::make_memory_runner_driver(store_));
  auto cfg = config_;
  cfg.runner_address = address(i);
  runner_options opts;
  opts.storage = n.storage;
  opts.messages = storage::make_memory_message_driver(store_);
  opts.transport = make_memory_transport(network_);
  // Storage calls on threads of their own would run outside the test
  // coordinator, and outcomes would depend on timing again.
  opts.detach_storage_calls = false;
  auto made = sharding::make_runner(sys_, std::move(cfg), std::move(opts),
                                    clock_);
  if (!made)
    throw std::runtime_error("runner " + std::to_string(i) + " failed to start: "
                             + caf::to_string(made.error()));
  n.cluster.emplace(std::move(*made));
  if (setup_)
    if (auto err = setup_(*n.cluster, i))
      throw std::runtime_error("setup of runner " + std::to_string(i)
                               + " failed: " + caf::to_string(err));
  run();
}

void test_cluster::kill(size_t i) {
  auto& n = nodes_.at(i);
  if (!n.cluster || n.killed)
    return;
  internal::simulate_crash(*internal::sharding_access::state(*n.cluster));
  n.killed = true;
  n.paused = false;
  refresh_frozen();
  run();
}

void test_cluster::leave(size_t i) {
  if (auto& n = nodes_.at(i); n.cluster)
    n.cluster->shutdown();
  run();
}

void test_cluster::restart(size_t i) {
  auto& n = nodes_.at(i);
  std::optional<int64_t> last_id_ms;
  if (n.cluster) {
    // The new process gets the same machine id back from storage; ids it
    // stamped in the old process's last millisecond would repeat.
    last_id_ms = n.cluster->next_snowflake().unix_ms();
    if (up(i))
      kill(i);
  }
  if (last_id_ms && clock_->now_ms() <= *last_id_ms)
    advance(std::chrono::milliseconds{*last_id_ms + 1 - clock_->now_ms()});
  start(i);
}

void test_cluster::pause(size_t i, bool on) {
  nodes_.at(i).paused = on;
  refresh_frozen();
  run();
}

void test_cluster::cut_storage(size_t i, bool on) {
  if (auto& n = nodes_.at(i); n.storage)
    n.storage->cut = on;
}

bool test_cluster::paused(size_t i) const {
  return nodes_.at(i).paused;
}

bool test_cluster::cut(size_t i) const {
  auto& n = nodes_.at(i);
  return n.storage && n.storage->cut;
}

std::vector<size_t> test_cluster::servers(std::string_view entity_id) const {
  std::vector<size_t> result;
  auto shard = make_shard_id(entity_id, config_.shard_groups.front(),
                             config_.shards_per_group);
  if (!shard)
    return result;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (up(i)
        && internal::sharding_access::state(*nodes_[i].cluster)
             ->node->shards->active(shard->index, *clock_))
      result.push_back(i);
  return result;
}

std::shared_ptr<storage::message_driver> test_cluster::message_storage() const {
  return storage::make_memory_message_driver(store_);
}

void test_cluster::refresh_frozen() {
  frozen_.clear();
  for (auto& n : nodes_)
    if (n.paused && n.cluster)
      runner_actors(*n.cluster, actor_set::all, frozen_);
}

} // namespace caf_cluster::testing
