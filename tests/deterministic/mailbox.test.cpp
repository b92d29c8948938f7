// Effect's mailbox semantics for persisted messages: those beyond an entity's
// mailbox capacity, or for an entity that finds the runner at its resident
// cap (`cluster.max-resident-entities`), wait in storage and run once room
// frees, in order and once each; volatile messages are refused at once.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "caf/event_based_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/sharding_access.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/gate_entity.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;

namespace {

using ran_list = std::vector<std::pair<std::string, int64_t>>;

// One runner hosting the gate entity too.
cluster_fixture make_runner(int64_t capacity, int64_t max_resident = 0) {
  gate() = {};
  auto cfg = cluster_fixture::default_config();
  cfg.entity_mailbox_capacity = capacity;
  cfg.max_resident_entities = max_resident;
  return cluster_fixture{1, cfg, [](sharding& s, size_t) {
                           REQUIRE_FALSE(
                             s.register_entity(gate_entity(), gate_impl));
                         }};
}

// Sends `msg` to gate `id` from a fresh actor that waits an hour at most.
template <class Msg>
reply_slot ask_gate(cluster_fixture& f, const std::string& id, Msg msg) {
  auto slot = std::make_shared<std::optional<caf::expected<int64_t>>>();
  auto client = f.runner(0).make_client(gate_entity());
  f.sys.spawn([=](caf::event_based_actor* self) {
    client.request(self, id, msg, 1h)
      .then([=](int64_t x) { *slot = x; },
            [=](caf::error& err) { *slot = std::move(err); });
  });
  return slot;
}

size_t pending(cluster_fixture& f) {
  size_t n = 0;
  auto counts = f.message_storage()->pending_counts();
  REQUIRE(counts);
  for (auto& x : *counts)
    n += static_cast<size_t>(x.count);
  return n;
}

// Entities resident on runner 0: activated ones (metrics) and those the
// residency cap counts (activated or about to be).
std::pair<int64_t, int64_t> resident(cluster_fixture& f) {
  auto active = f.runner(0).metrics().resident_entities();
  auto counted = internal::sharding_access::state(f.runner(0))
                   ->node->residents->count();
  return {active, counted};
}

// Runs every job one at a time, checking the resident cap after each step;
// then moves the clocks by `d` (timers fire) and does so again.
void run_capped(cluster_fixture& f, int64_t cap, caf::timespan d = 0s) {
  auto check = [&] {
    auto [active, counted] = resident(f);
    REQUIRE_LE(active, cap);
    REQUIRE_LE(counted, cap);
  };
  if (d > 0s) {
    f.clock->advance_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    f.sched.clock().advance_time(d);
  }
  check();
  while (f.sched.try_run_once())
    check();
}

int64_t value_of(const reply_slot& x) {
  REQUIRE(x->has_value());
  REQUIRE_MESSAGE(**x, (**x ? std::string{} : to_string((**x).error())));
  return ***x;
}

caf::error error_of(const reply_slot& x) {
  REQUIRE(x->has_value());
  REQUIRE_FALSE(**x);
  return (**x).error();
}

ran_list ran_by(const std::string& id, std::vector<int64_t> xs) {
  ran_list result;
  for (auto x : xs)
    result.emplace_back(id, x);
  return result;
}

} // namespace

TEST_SUITE("caf_cluster.mailbox") {

TEST_CASE("persisted messages beyond the capacity run once each, in order") {
  auto f = make_runner(3);
  gate().closed = true;
  std::vector<reply_slot> replies;
  for (int64_t i = 1; i <= 10; ++i)
    replies.push_back(ask_gate(f, "g-1", i));
  f.run();
  // One runs (held at the gate), two wait in the queue, seven in storage;
  // every sender waits, none is refused.
  CHECK_EQ(gate().ran, ran_by("g-1", {1}));
  CHECK_EQ(pending(f), 10u);
  for (auto& x : replies)
    CHECK_FALSE(x->has_value());
  // A volatile message beyond the capacity is refused at once.
  auto refused = ask_gate(f, "g-1", value_atom::value);
  f.run();
  CHECK(error_of(refused) == errc::mailbox_full);
  // Later persisted sends wait behind the stored ones.
  for (int64_t i = 11; i <= 15; ++i)
    replies.push_back(ask_gate(f, "g-1", i));
  f.run();
  CHECK_EQ(pending(f), 15u);
  CHECK_EQ(f.runner(0).metrics().find("Gate")->mailbox_full, 1);
  // Let the first one go: the rest run one at a time, in send order.
  gate().open(f.sys);
  for (int i = 0; i < 50 && pending(f) > 0; ++i)
    f.advance(100ms);
  CHECK_EQ(gate().ran,
           ran_by("g-1", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  for (size_t i = 0; i < replies.size(); ++i)
    CHECK_EQ(value_of(replies[i]), static_cast<int64_t>(i + 1));
  CHECK_EQ(pending(f), 0u);
  // With room again, a volatile message is taken.
  auto count = ask_gate(f, "g-1", value_atom::value);
  f.run();
  CHECK_EQ(value_of(count), 15);
}

TEST_CASE("messages left in storage survive a restart and run once, in order") {
  auto f = make_runner(2);
  gate().closed = true;
  for (int64_t i = 1; i <= 7; ++i)
    ask_gate(f, "g-2", i);
  f.run();
  CHECK_EQ(gate().ran, ran_by("g-2", {1}));
  CHECK_EQ(pending(f), 7u);
  // The runner crashes with one message running, one queued and five in
  // storage; started again it takes all seven from storage.
  f.crash(0);
  gate() = {};
  f.start(0);
  for (int i = 0; i < 100 && pending(f) > 0; ++i)
    f.advance(100ms);
  CHECK_EQ(gate().ran, ran_by("g-2", {1, 2, 3, 4, 5, 6, 7}));
  CHECK_EQ(pending(f), 0u);
}

TEST_CASE("at a cap of 2 resident entities, 6 busy entities all get answered") {
  constexpr int64_t cap = 2;
  auto f = make_runner(16, cap);
  gate().closed = true;
  std::map<std::string, reply_slot> replies;
  for (int i = 1; i <= 6; ++i) {
    auto id = "g-" + std::to_string(i);
    replies.emplace(id, ask_gate(f, id, int64_t{i}));
    run_capped(f, cap);
  }
  // Two entities run (held at the gate); four wait in storage.
  CHECK_EQ(gate().ran.size(), 2u);
  CHECK_EQ(resident(f), std::make_pair(cap, cap));
  CHECK_EQ(pending(f), 6u);
  // No idle entity to passivate: a volatile send that would activate a new
  // entity is refused at once, and nothing else changes.
  auto refused = ask_gate(f, "g-7", value_atom::value);
  run_capped(f, cap);
  CHECK(error_of(refused) == errc::mailbox_full);
  CHECK_EQ(gate().ran.size(), 2u);
  // Open the gate: entities finish, leave, and the waiting ones run.
  gate().open(f.sys);
  for (int i = 0; i < 100 && pending(f) > 0; ++i)
    run_capped(f, cap, 100ms);
  CHECK_EQ(pending(f), 0u);
  REQUIRE_EQ(gate().ran.size(), 6u);
  for (auto& [id, slot] : replies)
    CHECK_EQ(value_of(slot), std::stoll(id.substr(2)));
  std::map<std::string, int> runs;
  for (auto& x : gate().ran)
    ++runs[x.first];
  CHECK_EQ(runs.size(), 6u);
  for (auto& kvp : runs)
    CHECK_EQ(kvp.second, 1);
  // The last two stay resident, idle; a new entity passivates one of them.
  CHECK_EQ(resident(f), std::make_pair(cap, cap));
  auto before = f.runner(0).metrics().find("Gate")->passivations;
  auto count = ask_gate(f, "g-7", value_atom::value);
  run_capped(f, cap);
  CHECK_EQ(value_of(count), 0);
  CHECK_EQ(f.runner(0).metrics().find("Gate")->passivations, before + 1);
  CHECK_EQ(resident(f), std::make_pair(cap, cap));
}

} // TEST_SUITE
