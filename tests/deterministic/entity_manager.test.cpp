// Entity lifecycle on the deterministic scheduler: activation, serial order,
// mailbox bound, passivation, error propagation and recovery.
#include <doctest/doctest.h>

#include <chrono>

#include "caf/event_based_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "deterministic/probe_fixture.hpp"

using namespace std::chrono_literals;
using caf_cluster::errc;
using caf_cluster::testing::error_of;
using caf_cluster::testing::render;
using caf_cluster::testing::value_of;

namespace {

// A runner with the probe entity registered (max_idle 2 min, capacity 3).
struct probe_fixture : caf_cluster::testing::probe_fixture_base {
  probe_fixture() {
    auto def = probe::probe_entity.max_idle(2min).mailbox_capacity(3);
    REQUIRE_FALSE(cluster->register_entity(def, probe::probe_impl));
    client.emplace(cluster->make_client(def));
    run();
  }

  caf_cluster::entity_type_metrics probe_metrics() {
    auto snapshot = cluster->metrics();
    auto* m = snapshot.find("Probe");
    REQUIRE(m != nullptr);
    return *m;
  }

  std::optional<caf_cluster::entity_client<probe::probe_actor>> client;
};

} // namespace

TEST_SUITE("caf_cluster.entity_manager") {

TEST_CASE_FIXTURE(probe_fixture, "an entity is activated by its first message") {
  CHECK(probe_metrics().resident == 0);
  auto r = request(*client, "p-1", probe::add{5});
  run();
  CHECK(value_of(r) == 5);
  auto m = probe_metrics();
  CHECK(m.resident == 1);
  CHECK(m.activations == 1);
  CHECK(m.processed == 1);
  // A second entity is a separate activation with its own state.
  auto r2 = request(*client, "p-2", probe::add{7});
  run();
  CHECK(value_of(r2) == 7);
  CHECK(probe_metrics().resident == 2);
}

TEST_CASE_FIXTURE(probe_fixture, "the entity context carries the address") {
  auto r = request(*client, "counter-1", probe::whoami{});
  run();
  CHECK(value_of(r) == "Probe/counter-1@default:186");
}

TEST_CASE_FIXTURE(probe_fixture, "messages are processed in arrival order") {
  std::vector<std::shared_ptr<std::optional<caf::expected<int64_t>>>> replies;
  for (int i = 1; i <= 3; ++i)
    replies.push_back(request(*client, "p-1", probe::add{i}));
  run();
  // Running sums prove the order: 1, 1+2, 1+2+3.
  CHECK(value_of(replies[0]) == 1);
  CHECK(value_of(replies[1]) == 3);
  CHECK(value_of(replies[2]) == 6);
}

TEST_CASE_FIXTURE(probe_fixture, "one message at a time, even with async replies") {
  // Each `work` handler replies only after a round trip to another actor; a
  // plain CAF actor would start the second message before the first ends.
  auto a = request(*client, "p-1", probe::work{1});
  auto b = request(*client, "p-1", probe::work{2});
  run();
  CHECK(value_of(a) == 1);
  CHECK(value_of(b) == 2);
  CHECK(probe::log().events
        == std::vector<std::string>{"start 1", "end 1", "start 2", "end 2"});
}

TEST_CASE_FIXTURE(probe_fixture, "the message beyond mailbox_capacity is refused") {
  // Capacity 3: one running plus two queued; the fourth is refused.
  std::vector<std::shared_ptr<std::optional<caf::expected<int64_t>>>> replies;
  for (int i = 1; i <= 4; ++i)
    replies.push_back(request(*client, "p-1", probe::work{i}));
  run();
  CHECK(value_of(replies[0]) == 1);
  CHECK(value_of(replies[1]) == 2);
  CHECK(value_of(replies[2]) == 3);
  auto err = error_of(replies[3]);
  CHECK(err == errc::mailbox_full);
  CHECK(render(err).find("Probe/p-1") != std::string::npos);
  CHECK(probe_metrics().mailbox_full == 1);
  // Once drained the mailbox takes messages again.
  auto again = request(*client, "p-1", probe::add{1});
  run();
  CHECK(value_of(again) == 1);
}

TEST_CASE_FIXTURE(probe_fixture, "passivation happens exactly after max_idle") {
  auto r = request(*client, "p-1", probe::add{5});
  run();
  CHECK(value_of(r) == 5);
  advance(2min - 1ns);
  CHECK(probe_metrics().resident == 1);
  advance(1ns);
  CHECK(probe_metrics().resident == 0);
  CHECK(probe_metrics().passivations == 1);
  // Re-activation is transparent and starts from fresh state.
  auto again = request(*client, "p-1", probe::get_value{});
  run();
  CHECK(value_of(again) == 0);
  CHECK(probe_metrics().activations == 2);
}

TEST_CASE_FIXTURE(probe_fixture, "every message restarts the idle period") {
  auto r = request(*client, "p-1", probe::add{1});
  run();
  advance(90s);
  auto r2 = request(*client, "p-1", probe::add{1});
  run();
  CHECK(value_of(r2) == 2);
  advance(119s); // 209 s after the first message, 119 s after the last
  CHECK(probe_metrics().resident == 1);
  advance(1s);
  CHECK(probe_metrics().resident == 0);
}

TEST_CASE_FIXTURE(probe_fixture, "idle entities passivate in the order they went idle") {
  auto a = request(*client, "p-a", probe::add{1});
  run();
  advance(1min);
  auto b = request(*client, "p-b", probe::add{1});
  run();
  advance(1min);
  CHECK(probe_metrics().resident == 1); // p-a gone, p-b has 1 min left
  advance(1min);
  CHECK(probe_metrics().resident == 0);
  CHECK(probe_metrics().passivations == 2);
  CHECK(pending_timers() == 0);
}

TEST_CASE_FIXTURE(probe_fixture, "many entities idle at once passivate in batches") {
  // 600 entities exceed two batches of 256 stops per handler invocation.
  for (int i = 0; i < 600; ++i)
    request(*client, "p-" + std::to_string(i), probe::add{1});
  run();
  CHECK(probe_metrics().resident == 600);
  advance(2min);
  CHECK(probe_metrics().resident == 0);
  CHECK(probe_metrics().passivations == 600);
  CHECK(pending_timers() == 0);
}

TEST_CASE_FIXTURE(probe_fixture, "shutdown stops many idle entities in batches") {
  for (int i = 0; i < 600; ++i)
    request(*client, "p-" + std::to_string(i), probe::add{1});
  run();
  cluster->shutdown();
  run();
  CHECK(probe_metrics().resident == 0);
  auto late = request(*client, "p-1", probe::add{1});
  run();
  CHECK(error_of(late) == errc::shutting_down);
}

TEST_CASE_FIXTURE(probe_fixture, "a handler's error reaches the caller with its category and code") {
  auto r = request(*client, "p-1", probe::fail_with{probe::probe_errc::refused});
  auto neg = request(*client, "p-2", probe::add{-3});
  run();
  auto err = error_of(r);
  CHECK(err.category() == caf::atom("probe"));
  CHECK(err.code() == static_cast<uint8_t>(probe::probe_errc::refused));
  CHECK(error_of(neg) == probe::probe_errc::negative);
  // The entity survives its own errors.
  auto again = request(*client, "p-2", probe::add{3});
  run();
  CHECK(value_of(again) == 3);
}

TEST_CASE_FIXTURE(probe_fixture, "a throwing handler fails its caller, not the runner") {
  auto before = request(*client, "p-1", probe::add{10});
  auto other = request(*client, "p-2", probe::add{20});
  run();
  CHECK(value_of(before) == 10);
  auto boom = request(*client, "p-1", probe::crash{});
  run();
  auto err = error_of(boom);
  CHECK(err == errc::entity_failed);
  CHECK(render(err).find("boom") != std::string::npos);
  CHECK(render(err).find("Probe/p-1@default:") != std::string::npos);
  // The failed entity comes back with fresh state; others keep theirs.
  auto after = request(*client, "p-1", probe::get_value{});
  auto other_after = request(*client, "p-2", probe::get_value{});
  run();
  CHECK(value_of(after) == 0);
  CHECK(value_of(other_after) == 20);
  CHECK(probe_metrics().resident == 2);
}

TEST_CASE_FIXTURE(probe_fixture, "errors and crashes count as failed; every "
                                 "reply is one handler-latency observation") {
  auto ok = request(*client, "p-1", probe::add{1});
  auto refused = request(*client, "p-1",
                         probe::fail_with{probe::probe_errc::refused});
  auto negative = request(*client, "p-2", probe::add{-3});
  run();
  CHECK(value_of(ok) == 1);
  auto boom = request(*client, "p-3", probe::crash{});
  run();
  CHECK(error_of(refused) == probe::probe_errc::refused);
  CHECK(error_of(negative) == probe::probe_errc::negative);
  CHECK(error_of(boom) == errc::entity_failed);
  auto m = probe_metrics();
  CHECK(m.processed == 4);
  CHECK(m.failed == 3);
  CHECK(m.handler_latency.count == 4);
  REQUIRE(m.handler_latency.cumulative.size() == 14);
  // Handlers on the test coordinator take microseconds of real time: all in
  // the 10 s bucket, and the buckets cumulative up to the count.
  CHECK(m.handler_latency.cumulative.back() == 4);
  CHECK(m.handler_latency.sum < 10.0);
}

TEST_CASE_FIXTURE(probe_fixture, "an entity that quit is re-activated transparently") {
  auto r = request(*client, "p-1", probe::add{4});
  run();
  client->tell("p-1", probe::quit_now{});
  run();
  auto after = request(*client, "p-1", probe::add{1});
  run();
  CHECK(value_of(after) == 1);
}

TEST_CASE_FIXTURE(probe_fixture, "an entity that dies mid-request fails that request only") {
  // Killing the echo actor makes `work` fail inside the entity (CAF's default
  // error handler stops it while it holds a response promise).
  caf::anon_send_exit(probe::log().echo, caf::exit_reason::kill);
  run();
  auto r = request(*client, "p-1", probe::work{1});
  auto next = request(*client, "p-1", probe::add{2});
  run();
  REQUIRE(r->has_value());
  CHECK_FALSE(**r);
  CHECK(value_of(next) == 2);
}

TEST_CASE_FIXTURE(probe_fixture, "a timeout of timespan::max means none") {
  auto r = request(*client, "p-1", probe::add{1}, caf::timespan::max());
  run();
  CHECK(value_of(r) == 1);
  CHECK(pending_timers() == 1); // only the passivation timer
}

TEST_CASE_FIXTURE(probe_fixture, "a message whose sender gave up is not processed") {
  auto stuck = request(*client, "p-1", probe::hang{}, 1h);
  auto expired = request(*client, "p-1", probe::add{100}, 5s);
  auto later = request(*client, "p-1", probe::add{1}, 1h);
  run();
  advance(5s);
  CHECK(error_of(expired) == errc::timeout);
  // Let the stuck handler reply: the expired add is skipped, the next runs.
  REQUIRE(probe::log().held.size() == 1);
  // Delivered from inside an actor: CAF enqueues need an execution context.
  sys.spawn([promise = probe::log().held[0]](caf::event_based_actor*) mutable {
    promise.deliver(int64_t{7});
  });
  run();
  CHECK(value_of(stuck) == 7);
  CHECK(value_of(later) == 1);
}

TEST_CASE_FIXTURE(probe_fixture, "an entity sends to another entity through its context") {
  auto r = request(*client, "p-1", probe::relay{"p-2", 5});
  run();
  CHECK(value_of(r) == 5);
  auto direct = request(*client, "p-2", probe::get_value{});
  run();
  CHECK(value_of(direct) == 5);
  CHECK(probe_metrics().resident == 2);
}

TEST_CASE_FIXTURE(probe_fixture, "tell delivers without a reply") {
  client->tell("p-1", probe::add{2});
  client->tell("p-1", probe::add{3});
  run();
  auto r = request(*client, "p-1", probe::get_value{});
  run();
  CHECK(value_of(r) == 5);
}

TEST_CASE_FIXTURE(probe_fixture, "a slow entity times out at the caller, not forever") {
  // `hang` never replies; the caller's timeout still answers.
  auto r = request(*client, "p-1", probe::hang{}, 5s);
  run();
  CHECK_FALSE(r->has_value());
  advance(5s);
  CHECK(error_of(r) == errc::timeout);
  CHECK(render(error_of(r)).find("Probe/p-1") != std::string::npos);
}

TEST_CASE_FIXTURE(probe_fixture, "each waiting message times out on its own deadline") {
  auto stuck = request(*client, "p-1", probe::hang{}, 1h);
  auto waiting = request(*client, "p-1", probe::add{1}, 5s);
  run();
  advance(5s - 1ns);
  CHECK_FALSE(waiting->has_value());
  advance(1ns);
  CHECK(error_of(waiting) == errc::timeout);
  CHECK_FALSE(stuck->has_value());
  advance(1h);
  CHECK(error_of(stuck) == errc::timeout);
  // Other entities are unaffected by the stuck one.
  auto other = request(*client, "p-2", probe::add{3}, 5s);
  run();
  CHECK(value_of(other) == 3);
}

} // TEST_SUITE
