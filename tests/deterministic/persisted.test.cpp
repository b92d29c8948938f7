// Persisted messages and durable state on several runners (docs/architecture.md §7):
// stored before delivery, answered once per key, resumed by a shard's next
// owner, fenced against former owners, scheduled, and exactly-once under
// seeded crashes, pauses and leaves.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/shard_id.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"
#include "deterministic/test_fixture.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

int32_t shard_of(const cluster_fixture& f, const std::string& id) {
  return make_shard_id(id, "default", f.config().shards_per_group)->index;
}

// The runner serving `id`'s shard.
size_t owner_of(const cluster_fixture& f, const std::string& id) {
  auto who = f.servers(shard_of(f, id));
  REQUIRE(who.size() == 1);
  return who.front();
}

// Waits until `slot` holds a reply and returns it.
caf::expected<int64_t> await(cluster_fixture& f, const reply_slot& slot,
                             int steps_left = 100) {
  while (!slot->has_value() && steps_left-- > 0)
    f.advance(step);
  REQUIRE(slot->has_value());
  return **slot;
}

int64_t value_of(const caf::expected<int64_t>& x) {
  REQUIRE_MESSAGE(x, (x ? std::string{} : to_string(x.error())));
  return *x;
}

// The ledger's stored state: its value and how many messages it applied.
void check_stored(cluster_fixture& f, const std::string& id, int64_t value,
                  int64_t applied) {
  INFO("stored state of " << id);
  auto stored = f.stored_ledger(id);
  REQUIRE(stored);
  CHECK_EQ(stored->value, value);
  CHECK_EQ(stored->applied, applied);
}

size_t pending(cluster_fixture& f) {
  size_t n = 0;
  auto counts = f.message_storage()->pending_counts();
  REQUIRE(counts);
  for (auto& x : *counts)
    n += static_cast<size_t>(x.count);
  return n;
}

} // namespace

TEST_CASE("a persisted message runs once per key and its reply is stored") {
  cluster_fixture f{3};
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-1", keyed_add{5, "k1"}))), 5);
  // The same key through another runner: the stored reply, not a second run.
  CHECK_EQ(value_of(await(f, f.send_ledger(1, "acct-1", keyed_add{5, "k1"}))), 5);
  CHECK_EQ(value_of(await(f, f.send_ledger(2, "acct-1", keyed_add{2, "k2"}))), 7);
  // Without a key of its own every send is a new message.
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-1", int64_t{3}))), 10);
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-1", int64_t{3}))), 13);
  check_stored(f, "acct-1", 13, 4);
  CHECK_EQ(pending(f), 0u);
}

TEST_CASE("durable state survives passivation, a crash and a graceful leave") {
  cluster_fixture f{3};
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-2", keyed_add{4, "a"}))), 4);
  // Passivated after max_idle (1 min), activated again with its state.
  for (int i = 0; i < 70; ++i)
    f.advance(1s);
  CHECK_EQ(value_of(await(f, f.read_ledger(1, "acct-2"))), 4);
  auto owner = owner_of(f, "acct-2");
  f.crash(owner);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  auto via = (owner + 1) % 3;
  CHECK_EQ(value_of(await(f, f.read_ledger(via, "acct-2"))), 4);
  CHECK_EQ(value_of(await(f, f.send_ledger(via, "acct-2", keyed_add{1, "b"}))), 5);
  f.start(owner);
  auto second = owner_of(f, "acct-2");
  f.leave(second);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  CHECK_EQ(value_of(await(f, f.read_ledger((second + 1) % 3, "acct-2"))), 5);
}

TEST_CASE("a message whose reply could not be stored runs again once") {
  cluster_fixture f{3};
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-3", keyed_add{1, "a"}))), 1);
  auto owner = owner_of(f, "acct-3");
  // Storage fails after the request is stored: the handler's effect is
  // discarded with its entity and the sender learns why.
  f.hold_writer(owner, true);
  auto slot = f.send_ledger(owner, "acct-3", keyed_add{10, "b"});
  f.run_writer(owner); // stores the request
  f.run();             // the entity runs; its reply waits for the writer
  f.cut_messages(owner, true);
  f.hold_writer(owner, false);
  auto failed = await(f, slot);
  REQUIRE(!failed);
  CHECK_EQ(failed.error(), errc::persistence_error);
  // The runner dies; the next owner runs the stored message exactly once.
  f.crash(owner);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  auto via = (owner + 1) % 3;
  CHECK_EQ(value_of(await(f, f.send_ledger(via, "acct-3", keyed_add{10, "b"}))), 11);
  check_stored(f, "acct-3", 11, 2);
  CHECK_EQ(pending(f), 0u);
}

TEST_CASE("a paused former owner's late writes are refused by their epoch") {
  cluster_fixture f{3};
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-4", keyed_add{1, "a"}))), 1);
  auto owner = owner_of(f, "acct-4");
  auto index = shard_of(f, "acct-4");
  f.hold_writer(owner, true);
  auto slot = f.send_ledger(owner, "acct-4", keyed_add{10, "b"});
  f.run_writer(owner); // the request is stored
  f.run();             // the entity ran; its reply and state wait to be stored
  auto old_epoch = f.epoch(owner, index);
  f.pause(owner, true);
  REQUIRE(advance_until(f, [&] {
    auto who = f.servers(index);
    return who.size() == 1 && who.front() != owner;
  }));
  auto next = f.servers(index).front();
  CHECK_GT(f.epoch(next, index), old_epoch);
  // The new owner ran the stored message from the stored state.
  REQUIRE(advance_until(f, [&] { return pending(f) == 0; }));
  f.pause(owner, false);
  f.hold_writer(owner, false);
  CHECK_EQ(f.fenced_writes(owner), 1);
  // The sender still gets the one reply.
  CHECK_EQ(value_of(await(f, slot)), 11);
  check_stored(f, "acct-4", 11, 2);
}

TEST_CASE("a scheduled message waits for its time, also across a restart") {
  cluster_fixture f{3};
  auto due = f.clock->now_ms() + 5'000;
  auto slot = f.send_ledger(0, "acct-5", keyed_add{7, "later"}, 20s, due);
  for (int i = 0; i < 30; ++i)
    f.advance(step);
  CHECK(!slot->has_value());
  CHECK_EQ(pending(f), 1u);
  CHECK(!f.stored_ledger("acct-5"));
  auto owner = owner_of(f, "acct-5");
  f.crash(owner);
  f.start(owner);
  while (f.clock->now_ms() < due) {
    CHECK(!f.stored_ledger("acct-5"));
    f.advance(step);
  }
  auto via = (owner + 1) % 3;
  CHECK_EQ(value_of(await(f, f.send_ledger(via, "acct-5", keyed_add{7, "later"}))), 7);
  CHECK_EQ(f.stored_ledger("acct-5")->applied, 1);
  if (owner != 0)
    CHECK_EQ(value_of(await(f, slot)), 7);
}

TEST_CASE("a storage failure reaches the sender and nothing is acknowledged") {
  cluster_fixture f{3};
  auto owner = owner_of(f, "acct-6");
  f.cut_messages(owner, true);
  auto failed = await(f, f.send_ledger(owner, "acct-6", keyed_add{3, "a"}));
  REQUIRE(!failed);
  CHECK_EQ(failed.error(), errc::persistence_error);
  CHECK(to_string(failed.error()).find("unreachable") != std::string::npos);
  CHECK_EQ(pending(f), 0u);
  f.cut_messages(owner, false);
  CHECK_EQ(value_of(await(f, f.send_ledger(owner, "acct-6", keyed_add{3, "a"}))), 3);
  CHECK_EQ(f.stored_ledger("acct-6")->applied, 1);
}

TEST_CASE("a stored message that no longer decodes gets a malformed_message reply") {
  cluster_fixture f{3};
  storage::request_row row;
  row.request_id = 42;
  row.entity_type = "Ledger";
  row.entity_id = "acct-7";
  row.shard = "default:" + std::to_string(shard_of(f, "acct-7"));
  row.tag = "test.ledger.keyed_add";
  row.payload = "not an encoded message";
  row.primary_key = "broken";
  REQUIRE(f.message_storage()->save_requests({row}));
  REQUIRE(advance_until(f, [&] { return pending(f) == 0; }));
  auto reply = f.message_storage()->reply_for(42);
  REQUIRE(reply);
  REQUIRE(*reply);
  CHECK(!(*reply)->ok);
  auto err = decode_message(f.sys, (*reply)->payload);
  REQUIRE(err);
  REQUIRE(err->match_elements<caf::error>());
  CHECK_EQ(err->get_as<caf::error>(0), errc::malformed_message);
  // The runner keeps going.
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-7", keyed_add{1, "ok"}))), 1);
}

TEST_CASE("a durable entity that cannot start fails its message, never hangs") {
  cluster_fixture f{3};
  // Its behaviour throws before its state is even loaded.
  auto broken = entity<ledger_actor>("Broken")
                  .persisted<keyed_add>()
                  .durable_state<ledger_state>();
  for (size_t i = 0; i < 3; ++i)
    REQUIRE(!f.runner(i).register_entity(
      broken,
      [](ledger_actor::stateful_pointer<ledger_state>)
        -> ledger_actor::behavior_type {
        throw std::runtime_error("cannot start");
      }));
  auto slot = std::make_shared<std::optional<caf::expected<int64_t>>>();
  auto client = f.runner(0).make_client(broken);
  f.sys.spawn([=](caf::event_based_actor* self) {
    client.request(self, "b-1", keyed_add{1, "k"}, std::chrono::seconds{3})
      .then([=](int64_t x) { *slot = x; },
            [=](caf::error& err) { *slot = std::move(err); });
  });
  auto reply = await(f, slot);
  REQUIRE(!reply);
  CHECK_EQ(reply.error(), errc::entity_failed);
  // A message of a working type still runs on every runner.
  CHECK_EQ(value_of(await(f, f.send_ledger(0, "acct-8", keyed_add{1, "ok"}))), 1);
}

TEST_CASE("persisted messages need message storage") {
  fixture f;
  auto err = f.cluster->register_entity(ledger_entity(), ledger_impl);
  CHECK_EQ(err, errc::invalid_config);
  CHECK(to_string(err).find("message storage") != std::string::npos);
}

TEST_CASE("without message storage the error says what works") {
  fixture f; // a single runner, cluster.storage left at memory
  auto err = to_string(f.cluster->register_entity(ledger_entity(), ledger_impl));
  CHECK(err.find("set cluster.storage=sqlite:<path>") != std::string::npos);
  CHECK(err.find("a single runner opens it without a port")
        != std::string::npos);
  CHECK(err.find("runner_options::messages") != std::string::npos);
}

namespace {

struct exactly_once_stats {
  size_t keys = 0;
  size_t retries = 0;
  size_t faults = 0;
};

// Random keyed adds over a few ledgers while runners crash, restart, pause
// and leave; senders retry failed sends with the same key. Afterwards each
// ledger applied every key exactly once.
void exactly_once(uint64_t seed, exactly_once_stats& stats) {
  picker pick{seed};
  constexpr size_t runners = 3;
  cluster_fixture f{runners};
  std::ostringstream log;
  struct send {
    std::string ledger;
    std::string key;
    reply_slot slot;
  };
  std::vector<send> sends;
  std::map<std::string, std::set<std::string>> keys;
  auto send_via = [&](size_t via, send& x) {
    x.slot = f.send_ledger(via, x.ledger, keyed_add{1, x.key}, 2s);
  };
  auto any_up = [&] {
    for (size_t r = 0; r < runners; ++r)
      if (f.up(r) && !f.paused(r))
        return r;
    return runners;
  };
  for (int s = 0; s < 30; ++s) {
    if (pick(3) == 0) {
      ++stats.faults;
      auto r = pick(runners);
      inject_fault(f, pick(4), r, s, log); // no storage cuts here
    }
    for (int k = 0; k < 3; ++k) {
      auto via = any_up();
      if (via == runners)
        break;
      send x{"ledger-" + std::to_string(pick(6)),
             "s" + std::to_string(s) + "-" + std::to_string(k), nullptr};
      keys[x.ledger].insert(x.key);
      send_via(pick(runners) % runners, x);
      sends.push_back(std::move(x));
    }
    f.advance(250ms);
    INFO(log.str());
    REQUIRE(doubly_served(f) == 0);
  }
  for (size_t r = 0; r < runners; ++r) {
    f.pause(r, false);
    if (!f.up(r))
      f.start(r);
  }
  INFO(log.str());
  REQUIRE(advance_until(f, [&] { return settled(f); }, 15s));
  // Retry every send without a value, with its key, until it has one.
  for (int round = 0; round < 10; ++round) {
    std::vector<send*> open;
    for (auto& x : sends)
      if (!x.slot || !x.slot->has_value() || !x.slot->value())
        open.push_back(&x);
    if (open.empty())
      break;
    for (auto* x : open) {
      ++stats.retries;
      send_via(pick(runners), *x);
    }
    for (int i = 0; i < 40; ++i)
      f.advance(step);
  }
  for (auto& x : sends) {
    INFO("ledger " << x.ledger << " key " << x.key);
    REQUIRE(x.slot->has_value());
    REQUIRE(x.slot->value());
  }
  for (auto& [ledger, ks] : keys) {
    INFO(ledger);
    auto stored = f.stored_ledger(ledger);
    REQUIRE(stored);
    CHECK_EQ(stored->applied, static_cast<int64_t>(ks.size()));
    CHECK_EQ(stored->value, static_cast<int64_t>(ks.size()));
    stats.keys += ks.size();
  }
  CHECK_EQ(pending(f), 0u);
}

} // namespace

TEST_CASE("seeded faults: every persisted key is applied exactly once") {
  auto range = seeds(200);
  exactly_once_stats stats;
  for (auto seed = range.first; seed <= range.last(); ++seed) {
    INFO("seed " << seed << " (replay with CAF_CLUSTER_SEED=" << seed << ")");
    exactly_once(seed, stats);
  }
  MESSAGE("seeds " << range.first << ".." << range.last() << ": " << stats.keys
                   << " keys applied exactly once, " << stats.faults
                   << " faults, " << stats.retries << " retries");
}

// Asks in flight at a runner that freezes (docs/architecture.md §5): the
// connection stays open and nothing comes back, so the sending router acts on
// the new owner in its assignment map.

TEST_CASE("a persisted ask in flight at a frozen runner is answered by the "
          "new owner, applied once") {
  cluster_fixture f{3};
  auto id = id_served_by(f, 1);
  auto index = shard_of(f, id);
  // Runner 0 reaches runner 1 over an open connection.
  CHECK_EQ(value_of(await(f, f.send_ledger(0, id, keyed_add{1, "a"}))), 1);
  f.pause(1, true);
  auto slot = f.send_ledger(0, id, keyed_add{10, "b"}, 10s);
  auto took = advance_until(f, [&] { return slot->has_value(); }, 8s);
  REQUIRE(took);
  MESSAGE("answered after " << to_ms(*took) << " ms of freeze");
  // Two lease durations and a refresh of the map, far below the 10 s timeout.
  CHECK_LE(*took, 4s);
  CHECK_EQ(value_of(**slot), 11);
  auto next = f.servers(index);
  REQUIRE(next.size() == 1);
  CHECK_NE(next.front(), 1u);
  // The frozen runner thaws and handles the envelope late: refused, it
  // changes neither the answer nor the ledger.
  f.pause(1, false);
  REQUIRE(advance_until(f, [&] { return settled(f) && pending(f) == 0; }));
  CHECK_EQ(value_of(**slot), 11);
  check_stored(f, id, 11, 2);
  CHECK_EQ(value_of(await(f, f.send_ledger(2, id, keyed_add{10, "b"}))), 11);
}

TEST_CASE("a persisted ask a frozen runner ran is answered once from the new "
          "owner; the old runner's late reply is fenced") {
  cluster_fixture f{3};
  auto id = id_served_by(f, 1);
  CHECK_EQ(value_of(await(f, f.send_ledger(0, id, keyed_add{1, "a"}))), 1);
  // Runner 1 stores the request and runs it; its reply waits for the writer
  // when it freezes.
  f.hold_writer(1, true);
  auto slot = f.send_ledger(0, id, keyed_add{10, "b"}, 10s);
  f.run_writer(1);
  f.run();
  CHECK(!slot->has_value());
  f.pause(1, true);
  auto took = advance_until(f, [&] { return slot->has_value(); }, 8s);
  REQUIRE(took);
  CHECK_LE(*took, 4s);
  CHECK_EQ(value_of(**slot), 11);
  f.pause(1, false);
  f.hold_writer(1, false);
  REQUIRE(advance_until(f, [&] { return settled(f) && pending(f) == 0; }));
  CHECK_EQ(f.fenced_writes(1), 1);
  CHECK_EQ(value_of(**slot), 11);
  check_stored(f, id, 11, 2);
}

TEST_CASE("a volatile ask in flight at a frozen runner fails with "
          "runner_unavailable naming the runner and the shard") {
  cluster_fixture f{3};
  auto id = id_served_by(f, 1);
  auto index = shard_of(f, id);
  CHECK_EQ(value_of(await(f, f.send(0, id, 1))), 1);
  // The slow entity runs on runner 1 and would answer after 5 s.
  auto slot = f.send_slow(0, id, 5'000, 10s);
  CHECK(!slot->has_value());
  f.pause(1, true);
  auto took = advance_until(f, [&] { return slot->has_value(); }, 8s);
  REQUIRE(took);
  MESSAGE("failed after " << to_ms(*took) << " ms of freeze");
  CHECK_LE(*took, 4s);
  REQUIRE(!**slot);
  auto err = (**slot).error();
  CHECK_EQ(err, errc::runner_unavailable);
  auto text = render(err);
  CHECK_MESSAGE(text.find("runner " + f.address(1) + " lost shard "
                          + to_string(shard_id{"default", index})
                          + " while the request was in flight")
                  != std::string::npos,
                text);
  // The thawed runner's late answer, if any, is not delivered again.
  f.pause(1, false);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  for (int i = 0; i < 60; ++i)
    f.advance(step);
  CHECK_EQ((**slot).error(), errc::runner_unavailable);
}

TEST_CASE("a duplicate of a stored request nobody delivers runs it at once") {
  cluster_fixture f{2};
  // A request stored directly (as a workflow stores its continuation) waits
  // for the next periodic claim; a send with its key delivers it now.
  auto payload = encode_message(f.sys, caf::make_message(keyed_add{7, "stored"}));
  REQUIRE(payload);
  storage::request_row row;
  row.request_id = 4242;
  row.entity_type = "Ledger";
  row.entity_id = "acct-nudge";
  row.shard = to_string(shard_id{"default", shard_of(f, "acct-nudge")});
  row.tag = message_tag(f.sys, caf::make_message(keyed_add{7, "stored"}));
  row.payload = std::move(*payload);
  row.primary_key = "stored";
  auto saved = f.message_storage()->save_requests({row});
  REQUIRE(saved);
  f.run();
  CHECK_EQ(pending(f), 1u);
  auto slot = f.send_ledger(0, "acct-nudge", keyed_add{7, "stored"});
  // No clock advance: the owner reads the stored original at once.
  f.run();
  REQUIRE(slot->has_value());
  CHECK_EQ(value_of(**slot), 7);
  check_stored(f, "acct-nudge", 7, 1);
  CHECK_EQ(pending(f), 0u);
}
