// Shard groups per entity type: a type in group "workflow" lives in the shards
// `workflow:1..n`, served only by runners whose cluster.shard-groups list the
// group; others (and client-only nodes) route to them. Its stored messages
// carry the group's shard, a crash of their owner hands them to another
// runner of the group, and entity_context::fence() names the group's shard
// and the lease epoch of the message at hand.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>

#include "caf/event_based_actor.hpp"

#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/shard_id.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"
#include "deterministic/test_fixture.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

const std::string group = "workflow";

// The ledger again, as a type of its own in group "workflow".
const entity<ledger_actor, ledger_state>& group_ledger() {
  static const auto def = entity<ledger_actor>("GroupLedger")
                            .persisted<keyed_add, int64_t>()
                            .durable_state<ledger_state>()
                            .shard_group(group);
  return def;
}

// Replies with index * 1000 + epoch of its context's fence, or -1 when the
// fence does not name the entity's own shard in group "workflow".
using fence_probe_actor
  = caf::typed_actor<caf::replies_to<keyed_add>::with<int64_t>,
                     caf::replies_to<value_atom>::with<int64_t>>;

const entity<fence_probe_actor>& fence_probe() {
  static const auto def = entity<fence_probe_actor>("FenceProbe")
                            .persisted<keyed_add>()
                            .shard_group(group);
  return def;
}

fence_probe_actor::behavior_type fence_probe_impl(fence_probe_actor::pointer,
                                                  entity_context ctx) {
  auto answer = [ctx]() -> int64_t {
    auto f = ctx.fence();
    if (!f || ctx.address().shard.group != group
        || f->shard != to_string(ctx.address().shard))
      return -1;
    return int64_t{ctx.address().shard.index} * 1000 + f->epoch;
  };
  return {
    [=](const keyed_add&) {
      return answer();
    },
    [=](value_atom) {
      return answer();
    },
  };
}

// Runner 0 hosts {default}; runners 1 and 2 host {default, workflow}. All
// three register both group types.
struct groups_fixture : cluster_fixture {
  groups_fixture()
    : cluster_fixture(
      3, default_config(),
      [](sharding& s, size_t) {
        if (auto err = s.register_entity(group_ledger(), ledger_impl))
          throw std::runtime_error("register GroupLedger failed");
        if (auto err = s.register_entity(fence_probe(), fence_probe_impl))
          throw std::runtime_error("register FenceProbe failed");
      },
      [](sharding_config& cfg, size_t i) {
        if (i > 0)
          cfg.shard_groups = {"default", group};
      }) {
    // nop
  }

  int32_t shard_of(const std::string& id) const {
    return make_shard_id(id, group, config().shards_per_group)->index;
  }

  // The runners serving `id`'s shard of group "workflow".
  std::vector<size_t> group_servers(const std::string& id) {
    std::vector<size_t> result;
    for (size_t i = 0; i < 3; ++i)
      if (up(i) && runner(i).has_shard_id(shard_id{group, shard_of(id)}))
        result.push_back(i);
    return result;
  }

  template <class Client, class Msg>
  reply_slot ask(Client client, std::string id, Msg msg,
                 int64_t deliver_at_ms = 0, caf::timespan timeout = 3s) {
    auto slot = std::make_shared<std::optional<caf::expected<int64_t>>>();
    sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
      client.request_at(self, id, msg, deliver_at_ms, timeout)
        .then(
          [=](int64_t x) {
            *slot = x;
            self->quit();
          },
          [=](caf::error& err) {
            *slot = std::move(err);
            self->quit();
          });
      return {[](caf::unit_t) {}};
    });
    run();
    return slot;
  }

  caf::expected<int64_t> await(const reply_slot& slot, int steps_left = 300) {
    while (!slot->has_value() && steps_left-- > 0)
      advance(step);
    REQUIRE(slot->has_value());
    return **slot;
  }

  int64_t activations(size_t i, const std::string& type) {
    for (auto& x : runner(i).metrics().entity_types)
      if (x.entity_type == type)
        return x.activations;
    return -1;
  }
};

int64_t value_of(const caf::expected<int64_t>& x) {
  REQUIRE_MESSAGE(x, (x ? std::string{} : to_string(x.error())));
  return *x;
}

} // namespace

TEST_CASE("a type in a shard group runs only on runners hosting the group") {
  groups_fixture f;
  auto client_node = f.make_client_node();
  f.advance(1s);
  // Every shard of the group is served by exactly one of runners 1 and 2.
  for (int32_t i = 1; i <= f.config().shards_per_group; ++i) {
    CHECK_FALSE(f.runner(0).has_shard_id(shard_id{group, i}));
    auto n = int{f.runner(1).has_shard_id(shard_id{group, i})}
      + int{f.runner(2).has_shard_id(shard_id{group, i})};
    CHECK_EQ(n, 1);
  }
  // Metrics count the shards of every hosted group.
  auto total = f.runner(0).metrics().active_shards
    + f.runner(1).metrics().active_shards + f.runner(2).metrics().active_shards;
  CHECK_EQ(total, 2 * f.config().shards_per_group);
  int64_t expected = 0;
  for (size_t via = 0; via < 3; ++via) {
    expected += 5;
    auto c = f.runner(via).make_client(group_ledger());
    CHECK_EQ(value_of(f.await(
               f.ask(c, "acct", keyed_add{5, "k" + std::to_string(via)}))),
             expected);
  }
  // A client-only node knows the group from the definition alone.
  expected += 5;
  auto c = client_node.make_client(group_ledger());
  CHECK_EQ(value_of(f.await(f.ask(c, "acct", keyed_add{5, "client"}))),
           expected);
  // Runner 0 never ran one.
  CHECK_EQ(f.activations(0, "GroupLedger"), 0);
  auto owner = f.group_servers("acct");
  REQUIRE_EQ(owner.size(), 1u);
  CHECK_GE(f.activations(owner.front(), "GroupLedger"), 1);
  client_node.shutdown();
  f.advance(1s);
}

TEST_CASE("stored messages of a group type carry the group's shard and "
          "survive a crash of their owner") {
  groups_fixture f;
  auto owners = f.group_servers("acct");
  REQUIRE_EQ(owners.size(), 1u);
  auto owner = owners.front();
  auto other = owner == 1 ? size_t{2} : size_t{1};
  auto c = f.runner(0).make_client(group_ledger());
  // Scheduled 3 s ahead: it waits in storage, under workflow:N.
  auto due = f.clock->now_ms() + 3'000;
  auto slot = f.ask(c, "acct", keyed_add{7, "late"}, due, 30s);
  f.advance(500ms);
  auto counts = f.message_storage()->pending_counts();
  REQUIRE(counts);
  auto key = to_string(shard_id{group, f.shard_of("acct")});
  bool found = false;
  for (auto& x : *counts)
    if (x.entity_type == "GroupLedger") {
      CHECK_EQ(x.shard, key);
      CHECK_EQ(x.count, 1);
      CHECK_EQ(x.next_deliver_at_ms, due);
      found = true;
    }
  CHECK(found);
  f.crash(owner);
  CHECK_EQ(value_of(f.await(slot)), 7);
  CHECK_EQ(f.group_servers("acct"), std::vector<size_t>{other});
  auto stored = f.message_storage()->load_state("GroupLedger", "acct");
  REQUIRE(stored);
  REQUIRE(*stored);
  CHECK_EQ(f.activations(0, "GroupLedger"), 0);
}

TEST_CASE("entity_context::fence names the group's shard and the lease epoch") {
  groups_fixture f;
  auto owners = f.group_servers("p1");
  REQUIRE_EQ(owners.size(), 1u);
  auto key = to_string(shard_id{group, f.shard_of("p1")});
  auto epoch = f.runner_storage()->current_epoch(key);
  REQUIRE(epoch);
  CHECK_GT(*epoch, 0);
  auto expected = int64_t{f.shard_of("p1")} * 1000 + *epoch;
  auto c = f.runner(0).make_client(fence_probe());
  CHECK_EQ(value_of(f.await(f.ask(c, "p1", keyed_add{1, "a"}))), expected);
  CHECK_EQ(value_of(f.await(f.ask(c, "p1", value_atom::value))), expected);
  // After the owner crashes, the next owner answers under its own epoch.
  f.crash(owners.front());
  auto slot = f.ask(c, "p1", keyed_add{1, "b"}, 0, 30s);
  auto got = value_of(f.await(slot));
  auto next = f.runner_storage()->current_epoch(key);
  REQUIRE(next);
  CHECK_GT(*next, *epoch);
  CHECK_EQ(got, int64_t{f.shard_of("p1")} * 1000 + *next);
}

TEST_CASE("register_entity refuses a shard group with ':'") {
  groups_fixture f;
  auto bad = entity<tally_actor>("BadGroup").shard_group("a:b");
  auto err = f.runner(0).register_entity(
    bad, [](tally_actor::pointer) -> tally_actor::behavior_type {
      return {[](int64_t x) {
        return x;
      }};
    });
  CHECK_EQ(err, errc::invalid_argument);
}
