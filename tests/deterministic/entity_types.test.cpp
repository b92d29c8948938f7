// register_entity refuses an entity whose message or state types the actor
// system does not know, naming them, instead of failing every persisted send
// later; with add_entity the same entity registers and its sends go through
// message storage.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "caf/actor_system.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/memory_transport.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"

#include "common/bank_entity.hpp"

using namespace caf_cluster;

namespace {

bank::account_actor::behavior_type
account_impl(bank::account_actor::stateful_pointer<bank::account_state> self) {
  return {[=](bank::deposit x) {
    return self->state.balance += x.amount;
  }};
}

struct bank_config : cluster_config {
  explicit bank_config(bool add_types) {
    set("scheduler.policy", caf::atom("testing"));
    if (add_types)
      add_entity(bank::account);
  }
};

// One runner with memory runner and message storage on the test coordinator.
struct bank_runner {
  explicit bank_runner(bool add_types)
    : cfg(add_types), sys(cfg),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
      clock(std::make_shared<manual_wall_clock>(1'767'225'600'000)) {
    sched.clock().current_time += std::chrono::hours(1);
    auto store = storage::make_memory_runner_store();
    sharding_config scfg;
    scfg.shards_per_group = 10;
    scfg.runner_address = "127.0.0.1:4101";
    runner_options opts;
    opts.storage = storage::make_memory_runner_driver(store);
    opts.messages = storage::make_memory_message_driver(store);
    opts.transport = make_memory_transport(std::make_shared<memory_network>());
    opts.detach_storage_calls = false;
    auto made = sharding::make_runner(sys, scfg, std::move(opts), clock);
    REQUIRE_MESSAGE(made, (made ? "" : caf::to_string(made.error())));
    cluster.emplace(std::move(*made));
    // Lets the runner lease its shards.
    for (int i = 0; i < 20; ++i)
      advance(std::chrono::milliseconds{100});
  }

  ~bank_runner() {
    cluster->shutdown();
    cluster.reset();
    sched.run();
    while (sched.clock().has_pending_timeout()) {
      sched.clock().trigger_timeouts();
      sched.run();
    }
  }

  void advance(caf::timespan d) {
    sched.clock().advance_time(d);
    sched.run();
  }

  // Deposits `amount` into `id` and waits for the reply.
  caf::expected<int64_t> deposit(const std::string& id, int64_t amount) {
    auto slot = std::make_shared<std::optional<caf::expected<int64_t>>>();
    auto client = cluster->make_client(bank::account);
    sys.spawn([=](caf::event_based_actor* self) {
      client.request(self, id, bank::deposit{amount})
        .then(
          [slot](int64_t x) {
            *slot = x;
          },
          [slot](caf::error& err) {
            *slot = std::move(err);
          });
    });
    for (int i = 0; i < 50 && !slot->has_value(); ++i)
      advance(std::chrono::milliseconds{100});
    REQUIRE(slot->has_value());
    return **slot;
  }

  bank_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  std::shared_ptr<manual_wall_clock> clock;
  std::optional<sharding> cluster;
};

} // namespace

TEST_SUITE("caf_cluster.entity_types") {

  TEST_CASE("register_entity names the types missing from the configuration") {
    bank_runner r{false};
    auto err = r.cluster->register_entity(bank::account, account_impl);
    CHECK_EQ(err, errc::invalid_config);
    auto text = caf::to_string(err);
    INFO(text);
    CHECK_NE(text.find(
               "entity type 'Account' uses types not added to the actor "
               "system configuration: bank::deposit, "
               "bank::account_state; call "
               "caf_cluster::add_entity_types(cfg, def) (or "
               "cfg.add_entity(def) on a cluster_config) in every "
               "process before the actor system starts"),
             std::string::npos);
  }

  TEST_CASE("after add_entity a persisted deposit and the state round-trip") {
    bank_runner r{true};
    REQUIRE_FALSE(r.cluster->register_entity(bank::account, account_impl));
    auto first = r.deposit("acct-1", 5);
    REQUIRE_MESSAGE(first, (first ? "" : caf::to_string(first.error())));
    CHECK_EQ(*first, 5);
    auto second = r.deposit("acct-1", 7);
    REQUIRE_MESSAGE(second, (second ? "" : caf::to_string(second.error())));
    CHECK_EQ(*second, 12);
  }
}
