#include "deterministic/cluster_fixture.hpp"

#include <stdexcept>

#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/internal/sharding_access.hpp"
#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/testing/runner_actors.hpp"
#include "caf_cluster/testing/test_cluster.hpp"

namespace caf_cluster::testing {

namespace {

struct tally_state {
  int64_t value = 0;
};

tally_actor::behavior_type
tally_impl(tally_actor::stateful_pointer<tally_state> self) {
  return {[=](int64_t amount) { return self->state.value += amount; }};
}

using guard_atom = caf::atom_constant<caf::atom("guard")>;

struct slow_state {
  caf::typed_response_promise<int64_t> pending;
};

slow_actor::behavior_type
slow_impl(slow_actor::stateful_pointer<slow_state> self) {
  return {
    [=](int64_t ms) {
      self->state.pending = self->make_response_promise<int64_t>();
      self->delayed_send(self, std::chrono::milliseconds{ms}, wake_atom::value);
      return self->state.pending;
    },
    [=](wake_atom) { self->state.pending.deliver(int64_t{1}); },
  };
}

// Sends one request from a fresh actor (`send(self)` returns the typed
// response handle) and fills the slot with its reply.
template <class Send>
reply_slot from_fresh_actor(caf::actor_system& sys, caf::timespan timeout,
                            Send send) {
  auto slot = std::make_shared<std::optional<caf::expected<int64_t>>>();
  sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    send(self).then(
      [=](int64_t x) {
        *slot = x;
        self->quit();
      },
      [=](caf::error& err) {
        *slot = std::move(err);
        self->quit();
      });
    // A requester whose runner crashed would wait forever otherwise.
    self->delayed_send(self, timeout + std::chrono::seconds{2},
                       guard_atom::value);
    return {[=](guard_atom) { self->quit(); }};
  });
  return slot;
}

template <class Client, class Msg>
reply_slot request_from_fresh_actor(caf::actor_system& sys, Client client,
                                    std::string id, Msg msg,
                                    caf::timespan timeout) {
  return from_fresh_actor(sys, timeout, [=](caf::event_based_actor* self) {
    return client.request(self, id, msg, timeout);
  });
}

} // namespace

const entity<tally_actor>& tally_entity() {
  static const auto def = entity<tally_actor>("Tally");
  return def;
}

const entity<slow_actor>& slow_entity() {
  static const auto def = entity<slow_actor>("Slow");
  return def;
}

sharding_config cluster_fixture::default_config() {
  return test_cluster::default_config();
}

cluster_fixture::cluster_fixture(size_t runners, sharding_config base,
                                 setup_fn setup, configure_fn configure)
  : sys(cfg),
    sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
    clock(std::make_shared<manual_wall_clock>(1'767'225'600'000)),
    base_(std::move(base)),
    setup_(std::move(setup)),
    configure_(std::move(configure)),
    logs_(std::make_shared<std::vector<log_record>>()),
    store_(storage::make_memory_runner_store()),
    network_(std::make_shared<memory_network>()),
    nodes_(runners) {
  sched.clock().current_time += std::chrono::hours(1);
  for (size_t i = 0; i < runners; ++i)
    start(i);
  for (int i = 0; i < 20; ++i)
    advance(std::chrono::milliseconds{100});
}

cluster_fixture::~cluster_fixture() {
  for (auto& n : nodes_)
    n.paused = n.writer_held = n.shard_manager_frozen = false;
  refresh_paused_ids();
  for (auto& n : nodes_)
    if (n.cluster)
      n.cluster->shutdown();
  run();
  // Shard managers tick until they left; guards and grace timers fire.
  for (int i = 0; i < 10'000 && sched.clock().has_pending_timeout(); ++i) {
    sched.clock().trigger_timeout();
    run();
  }
  for (auto& n : nodes_)
    n.cluster.reset();
  run();
}

std::vector<std::string>
cluster_fixture::log_lines(size_t i, const std::string& part) const {
  std::vector<std::string> result;
  for (auto& x : *logs_)
    if (x.runner == address(i)) {
      auto line = format_log_line(x);
      if (line.find(part) != std::string::npos)
        result.push_back(std::move(line));
    }
  return result;
}

std::string cluster_fixture::address(size_t i) const {
  return "10.0.0." + std::to_string(i + 1) + ":4000";
}

bool cluster_fixture::up(size_t i) const {
  auto& n = nodes_[i];
  return n.cluster && !n.crashed && !n.cluster->is_shutdown();
}

int cluster_fixture::generation(size_t i) const {
  return nodes_[i].generation;
}

void cluster_fixture::start(size_t i) {
  auto& n = nodes_[i];
  if (up(i))
    crash(i); // restarting a running runner: the old process dies first
  n.paused = n.writer_held = n.shard_manager_frozen = false;
  refresh_paused_ids();
  // A runner still leaving holds its address (as a stopping process holds
  // its port) until its shard manager is done: wait for that first.
  for (int k = 0; k < 300 && network_->find(address(i)); ++k)
    advance(std::chrono::milliseconds{100});
  n.crashed = false;
  n.cluster.reset();
  n.storage = std::make_shared<faulty_runner_driver>(
    storage::make_memory_runner_driver(store_));
  auto cfg = base_;
  cfg.runner_address = address(i);
  if (configure_)
    configure_(cfg, i);
  runner_options opts;
  opts.storage = n.storage;
  n.messages = std::make_shared<faulty_message_driver>(
    storage::make_memory_message_driver(store_));
  opts.messages = n.messages;
  opts.transport = make_memory_transport(network_);
  opts.detach_storage_calls = false;
  opts.log = [logs = logs_](const log_record& x) { logs->push_back(x); };
  auto made = sharding::make_runner(sys, std::move(cfg), std::move(opts),
                                    clock);
  if (!made)
    throw std::runtime_error("make_runner failed: " + render(made.error()));
  n.cluster.emplace(std::move(*made));
  if (auto err = n.cluster->register_entity(tally_entity(), tally_impl))
    throw std::runtime_error("register_entity failed: " + render(err));
  if (auto err = n.cluster->register_entity(slow_entity(), slow_impl))
    throw std::runtime_error("register_entity failed: " + render(err));
  if (auto err = n.cluster->register_entity(ledger_entity(), ledger_impl))
    throw std::runtime_error("register_entity failed: " + render(err));
  if (setup_)
    setup_(*n.cluster, i);
  ++n.generation;
  refresh_paused_ids();
  run();
}

sharding cluster_fixture::make_client_node() {
  auto cfg = base_;
  cfg.runner_address.clear();
  runner_options opts;
  opts.storage = storage::make_memory_runner_driver(store_);
  opts.transport = make_memory_transport(network_);
  opts.client_only = true;
  opts.detach_storage_calls = false;
  opts.log = [logs = logs_](const log_record& x) { logs->push_back(x); };
  auto made = sharding::make_runner(sys, std::move(cfg), std::move(opts),
                                    clock);
  if (!made)
    throw std::runtime_error("make_runner failed: " + render(made.error()));
  run();
  return std::move(*made);
}

void cluster_fixture::crash(size_t i) {
  auto& n = nodes_[i];
  if (!n.cluster)
    return;
  internal::simulate_crash(*internal::sharding_access::state(*n.cluster));
  n.crashed = true;
  n.paused = n.shard_manager_frozen = false;
  refresh_paused_ids();
  run();
}

void cluster_fixture::leave(size_t i) {
  if (nodes_[i].cluster)
    nodes_[i].cluster->shutdown();
  run();
}

void cluster_fixture::pause(size_t i, bool on) {
  nodes_[i].paused = on;
  refresh_paused_ids();
  run();
}

void cluster_fixture::cut_storage(size_t i, bool on) {
  if (nodes_[i].storage)
    nodes_[i].storage->cut = on;
}

void cluster_fixture::fill_storage(size_t i, bool on) {
  if (nodes_[i].storage)
    nodes_[i].storage->full = on;
}

bool cluster_fixture::paused(size_t i) const {
  return nodes_[i].paused;
}

bool cluster_fixture::cut(size_t i) const {
  return nodes_[i].storage && nodes_[i].storage->cut;
}

void cluster_fixture::refresh_paused_ids() {
  paused_ids_.clear();
  for (auto& n : nodes_) {
    if (!n.cluster)
      continue;
    if (n.paused) {
      runner_actors(*n.cluster, actor_set::all, paused_ids_);
      continue;
    }
    if (n.writer_held)
      runner_actors(*n.cluster, actor_set::storage_writer, paused_ids_);
    if (n.shard_manager_frozen)
      runner_actors(*n.cluster, actor_set::shard_manager, paused_ids_);
  }
}

size_t cluster_fixture::run() {
  return run_except(sched, paused_ids_);
}

void cluster_fixture::advance(caf::timespan d) {
  clock->advance_ms(
    std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  sched.clock().advance_time(d);
  run();
}

std::vector<size_t> cluster_fixture::servers(int32_t index) const {
  std::vector<size_t> result;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto& n = nodes_[i];
    if (!n.cluster)
      continue;
    auto st = internal::sharding_access::state(*n.cluster);
    if (st->node->shards->active(index, *clock))
      result.push_back(i);
  }
  return result;
}

int64_t cluster_fixture::epoch(size_t i, int32_t index) const {
  if (!nodes_[i].cluster)
    return 0;
  return internal::sharding_access::state(*nodes_[i].cluster)
    ->node->shards->epoch(index);
}

namespace {

std::optional<storage::lease_row>
current_lease(const std::shared_ptr<storage::memory_runner_store>& store,
              const std::string& key, int64_t now) {
  auto rows = storage::make_memory_runner_driver(store)->leases();
  if (!rows)
    return std::nullopt;
  for (auto& row : *rows)
    if (row.shard == key && row.expires_at_ms > now)
      return row;
  return std::nullopt;
}

} // namespace

std::unique_ptr<storage::runner_driver>
cluster_fixture::runner_storage() const {
  return storage::make_memory_runner_driver(store_);
}

std::optional<std::string> cluster_fixture::lease_holder(int32_t index) const {
  auto key = base_.shard_groups.front() + ":" + std::to_string(index);
  if (auto row = current_lease(store_, key, clock->now_ms()))
    return row->runner;
  return std::nullopt;
}

std::optional<int64_t> cluster_fixture::lease_expiry(int32_t index) const {
  auto key = base_.shard_groups.front() + ":" + std::to_string(index);
  if (auto row = current_lease(store_, key, clock->now_ms()))
    return row->expires_at_ms;
  return std::nullopt;
}

reply_slot cluster_fixture::send(size_t via, std::string id, int64_t amount,
                                 caf::timespan timeout) {
  if (!nodes_[via].cluster)
    return std::make_shared<std::optional<caf::expected<int64_t>>>();
  auto slot = request_from_fresh_actor(
    sys, nodes_[via].cluster->make_client(tally_entity()), std::move(id),
    amount, timeout);
  run();
  return slot;
}

reply_slot cluster_fixture::send_slow(size_t via, std::string id, int64_t ms,
                                      caf::timespan timeout) {
  if (!nodes_[via].cluster)
    return std::make_shared<std::optional<caf::expected<int64_t>>>();
  auto slot = request_from_fresh_actor(
    sys, nodes_[via].cluster->make_client(slow_entity()), std::move(id), ms,
    timeout);
  run();
  return slot;
}

template <class Msg>
reply_slot cluster_fixture::send_ledger(size_t via, std::string id, Msg msg,
                                        caf::timespan timeout,
                                        int64_t deliver_at_ms) {
  if (!nodes_[via].cluster)
    return std::make_shared<std::optional<caf::expected<int64_t>>>();
  auto client = nodes_[via].cluster->make_client(ledger_entity());
  auto slot = from_fresh_actor(sys, timeout, [=](caf::event_based_actor* self) {
    return client.request_at(self, id, msg, deliver_at_ms, timeout);
  });
  run();
  return slot;
}

template reply_slot cluster_fixture::send_ledger(size_t, std::string,
                                                 keyed_add, caf::timespan,
                                                 int64_t);
template reply_slot cluster_fixture::send_ledger(size_t, std::string, int64_t,
                                                 caf::timespan, int64_t);

reply_slot cluster_fixture::read_ledger(size_t via, std::string id) {
  if (!nodes_[via].cluster)
    return std::make_shared<std::optional<caf::expected<int64_t>>>();
  auto slot = request_from_fresh_actor(
    sys, nodes_[via].cluster->make_client(ledger_entity()), std::move(id),
    value_atom::value, std::chrono::seconds{3});
  run();
  return slot;
}

std::optional<ledger_state> cluster_fixture::stored_ledger(const std::string& id) {
  auto bytes = message_storage()->load_state(ledger_entity().name(), id);
  if (!bytes || !*bytes)
    return std::nullopt;
  auto x = decode_value<ledger_state>(sys, **bytes);
  if (!x)
    return std::nullopt;
  return *x;
}

std::shared_ptr<storage::message_driver> cluster_fixture::message_storage() const {
  return storage::make_memory_message_driver(store_);
}

void cluster_fixture::run_writer(size_t i) {
  if (!nodes_[i].cluster)
    return;
  auto id = internal::sharding_access::state(*nodes_[i].cluster)
              ->storage.writer()
              .id();
  sched.run_jobs_filtered([id](caf::resumable* job) {
    auto* actor = dynamic_cast<caf::abstract_actor*>(job);
    return actor != nullptr && actor->id() == id;
  });
}

sharding& cluster_fixture::runner(size_t i) {
  if (!nodes_[i].cluster)
    throw std::runtime_error("runner " + std::to_string(i) + " is not running");
  return *nodes_[i].cluster;
}

void cluster_fixture::hold_writer(size_t i, bool on) {
  nodes_[i].writer_held = on;
  refresh_paused_ids();
  run();
}

void cluster_fixture::cut_request_saves(size_t i, bool on) {
  if (nodes_[i].messages)
    nodes_[i].messages->cut_saves = on;
}

void cluster_fixture::freeze_shard_manager(size_t i, bool on) {
  nodes_[i].shard_manager_frozen = on;
  refresh_paused_ids();
  run();
}

void cluster_fixture::cut_messages(size_t i, bool on) {
  if (nodes_[i].messages)
    nodes_[i].messages->cut = on;
}

} // namespace caf_cluster::testing
