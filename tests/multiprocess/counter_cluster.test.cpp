// The counter sample as a real cluster: three counter-node processes on
// 127.0.0.1 sharing one SQLite file, clients in other processes and in this
// one. Checks what an operator relies on: even placement, values visible
// from every client, failover after kill -9 within the lease bound, prompt
// takeover after a graceful stop, and a restarted runner getting its share.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "multiprocess/cluster.hpp"
#include "multiprocess/freeze.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;

namespace {

constexpr int num_counters = 30;

struct cluster_fixture : runner_fixture {
  std::vector<std::string> ids;

  cluster_fixture() {
    for (int i = 0; i < num_counters; ++i)
      ids.push_back("counter-" + std::to_string(i));
  }

  /// The value counter `i` holds after `fill()`.
  static int64_t filled_value(size_t i) {
    return static_cast<int64_t>(i) + 1;
  }

  /// Connects the in-process client and sets counter i to i + 1.
  void fill() {
    client = std::make_unique<client_node>(storage);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto value = client->increment(ids[i], filled_value(i));
      REQUIRE_MESSAGE(value, ids[i] << ": " << client->render(value.error()));
      REQUIRE(*value == filled_value(i));
    }
  }

  /// The runner that holds each counter's shard in `table`.
  std::map<std::string, std::string> owners(const shard_table& table) {
    std::map<std::string, std::string> result;
    for (auto& id : ids) {
      auto shard = client->shard_of(id);
      auto i = table.holders.find(shard);
      result[id] = i == table.holders.end() ? "(none)" : i->second;
    }
    return result;
  }

  /// How many counters `address` holds according to `owner`.
  static int owned_by(const std::map<std::string, std::string>& owner,
                      const std::string& address) {
    int result = 0;
    for (auto& [id, holder] : owner)
      if (holder == address)
        ++result;
    return result;
  }

  /// After runner `gone` left: every counter answered with its value, also
  /// those of `gone` (the Counter's increments are persisted and its value
  /// is durable state).
  void check_values(const recovery& rec,
                    const std::map<std::string, std::string>& owner,
                    const std::string& gone) {
    for (auto& [id, error] : rec.missing)
      FAIL_CHECK(id << " (on " << owner.at(id)
                    << ") never answered: " << error);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto found = rec.values.find(ids[i]);
      if (found == rec.values.end())
        continue;
      auto& holder = owner.at(ids[i]);
      CHECK_MESSAGE(found->second == filled_value(i),
                    ids[i] << (holder == gone ? " of the stopped runner "
                                              : " on surviving runner ")
                           << holder << " answered " << found->second
                           << " instead of " << filled_value(i) << " (now on "
                           << client->shard_of(ids[i]) << ")");
    }
  }
};

} // namespace

TEST_SUITE("multiprocess.counter_cluster") {

  TEST_CASE_FIXTURE(cluster_fixture,
                    "three runners share the shards and every client sees "
                    "every write") {
    start(3);
    settle();
    fill();
    // Read every counter back through counter-cli processes: other clients,
    // which find each owner in runner storage themselves.
    for (size_t i = 0; i < ids.size(); ++i) {
      auto res = run(programs::counter_cli,
                     with_test_transport({"--storage", storage, "get", ids[i]}),
                     15s);
      REQUIRE_MESSAGE(res.status, "counter-cli get " << ids[i] << " hung");
      CHECK_MESSAGE(res.status->exited_with(0),
                    ids[i] << ": " << res.status->to_string() << ", "
                           << res.err);
      CHECK(res.out == std::to_string(filled_value(i)) + "\n");
    }
    // Writes through counter-cli, read through the in-process client.
    auto inc = run(
      programs::counter_cli,
      with_test_transport({"--storage", storage, "increment", ids[0], "10"}),
      15s);
    REQUIRE(inc.status);
    CHECK(inc.status->exited_with(0));
    CHECK(inc.out == "11\n");
    auto dec = run(
      programs::counter_cli,
      with_test_transport({"--storage", storage, "decrement", ids[1], "5"}),
      15s);
    REQUIRE(dec.status);
    CHECK(dec.status->exited_with(0));
    CHECK(dec.out == "-3\n");
    auto v0 = client->get(ids[0]);
    REQUIRE(v0);
    CHECK(*v0 == 11);
    auto v1 = client->get(ids[1]);
    REQUIRE(v1);
    CHECK(*v1 == -3);
    // A second in-process client (its own actor system) reads the same values.
    client_node other{storage};
    for (size_t i = 2; i < ids.size(); ++i) {
      auto value = other.get(ids[i]);
      REQUIRE_MESSAGE(value, ids[i] << ": " << other.render(value.error()));
      CHECK(*value == filled_value(i));
    }
    // Placement did not move while the clients worked.
    auto table = read_shards(storage);
    REQUIRE(table);
    CHECK(to_string(table->counts) == to_string(even(runners, 100)));
  }

  TEST_CASE_FIXTURE(cluster_fixture,
                    "after kill -9 of a runner every counter answers within "
                    "the lease bound") {
    start(3);
    auto table = settle();
    fill();
    auto owner = owners(table);
    auto& victim = runners[1];
    REQUIRE_MESSAGE(owned_by(owner, victim.address) > 0,
                    "no counter lives on " << victim.address);
    auto killed_at = clock_type::now();
    victim.proc->signal(SIGKILL);
    auto rec = await_answers(*client, ids, killed_at, killed_at + 10s);
    MESSAGE("failover after kill -9 of "
            << victim.address << " (" << owned_by(owner, victim.address)
            << " of " << ids.size() << " counters): " << rec.seconds << " s");
    CHECK(rec.missing.empty());
    CHECK(rec.seconds <= 3.0);
    check_values(rec, owner, victim.address);
    auto status = victim.proc->wait(clock_type::now() + 5s);
    REQUIRE(status);
    CHECK(status->signal == SIGKILL);
    // The two survivors end up with all 300 shards between them.
    std::vector<runner> survivors{runners[0], runners[2]};
    auto after = await_shard_counts(storage, even(survivors, 150), 10s);
    int held = 0;
    for (auto& s : survivors)
      held += after.counts[s.address];
    CHECK(held == 300);
    MESSAGE("shards after failover: " << to_string(after.counts));
  }

  TEST_CASE_FIXTURE(cluster_fixture,
                    "a runner stopped with SIGTERM hands its shards over at "
                    "once") {
    start(3);
    auto table = settle();
    fill();
    auto owner = owners(table);
    auto& leaving = runners[1];
    REQUIRE_MESSAGE(owned_by(owner, leaving.address) > 0,
                    "no counter lives on " << leaving.address);
    auto stopped_at = clock_type::now();
    leaving.proc->signal(SIGTERM);
    auto rec = await_answers(*client, ids, stopped_at, stopped_at + 10s);
    MESSAGE("takeover after SIGTERM of "
            << leaving.address << " (" << owned_by(owner, leaving.address)
            << " of " << ids.size() << " counters): " << rec.seconds << " s");
    CHECK(rec.missing.empty());
    CHECK(rec.seconds < 1.0);
    check_values(rec, owner, leaving.address);
    auto status = leaving.proc->wait(stopped_at + 5s);
    REQUIRE_MESSAGE(status, leaving.address << " still runs 5 s after SIGTERM");
    CHECK_MESSAGE(status->exited_with(0),
                  status->to_string() << ", stderr: " << leaving.proc->err());
    MESSAGE(leaving.address << " exited after "
                            << seconds_between(stopped_at, clock_type::now())
                            << " s");
    // Its stderr holds the log of a clean leave and nothing worse than info.
    auto& err = leaving.proc->err();
    CHECK_MESSAGE(err.find(" WARN  [") == std::string::npos, err);
    CHECK_MESSAGE(err.find(" ERROR [") == std::string::npos, err);
    CHECK_MESSAGE(err.find("node: leaving gracefully") != std::string::npos,
                  err);
    CHECK_MESSAGE(err.find("node: left the cluster") != std::string::npos,
                  err);
  }

  TEST_CASE_FIXTURE(cluster_fixture,
                    "a stopped runner restarted on its port gets its share "
                    "back") {
    start(3);
    settle();
    auto& leaving = runners[1];
    leaving.proc->signal(SIGTERM);
    auto status = leaving.proc->wait(clock_type::now() + 5s);
    REQUIRE(status);
    CHECK(status->exited_with(0));
    std::vector<runner> survivors{runners[0], runners[2]};
    auto two = await_shard_counts(storage, even(survivors, 150), 10s);
    CHECK(to_string(two.counts) == to_string(even(survivors, 150)));
    auto restarted_at = clock_type::now();
    leaving = start_node(procs, storage, leaving.port);
    settle();
    MESSAGE(leaving.address << " restarted, 100/100/100 again after "
                            << seconds_between(restarted_at, clock_type::now())
                            << " s");
    fill();
  }

  TEST_CASE_FIXTURE(cluster_fixture,
                    "a runner killed with -9 and restarted on its port at once "
                    "gets its share back") {
    // The restarted process registers the same address while its previous
    // incarnation's leases have not expired yet.
    start(3);
    settle();
    auto& victim = runners[1];
    auto killed_at = clock_type::now();
    victim.proc->signal(SIGKILL);
    auto status = victim.proc->wait(clock_type::now() + 5s);
    REQUIRE(status);
    auto restarted_at = clock_type::now();
    victim = start_node(procs, storage, victim.port);
    settle();
    MESSAGE(
      victim.address << " restarted after kill -9, 100/100/100 again after "
                     << seconds_between(restarted_at, clock_type::now())
                     << " s");
    fill();
    // The counts above may still be the dead incarnation's leases (same
    // address); once those expired (lease-duration 2s) the new process must
    // hold the shards itself and still serve the values it was given.
    std::this_thread::sleep_until(killed_at + 2500ms);
    auto later = read_shards(storage);
    REQUIRE(later);
    CHECK(to_string(later->counts) == to_string(even(runners, 100)));
    for (size_t i = 0; i < ids.size(); ++i) {
      auto value = client->get(ids[i]);
      REQUIRE_MESSAGE(value, ids[i] << ": " << client->render(value.error()));
      CHECK(*value == filled_value(i));
    }
  }

  TEST_CASE_FIXTURE(cluster_fixture,
                    "a runner's stderr logs the join, its shards and a dead "
                    "peer") {
    start(2);
    settle();
    auto& first = *runners[0].proc;
    first.drain();
    auto joined = "INFO  [" + runners[0].address + "] membership: runner "
                  + runners[1].address + " joined";
    CHECK_MESSAGE(first.err().find(joined) != std::string::npos,
                  "no '" << joined << "' in:\n" << first.err());
    auto acquired = "INFO  [" + runners[0].address + "] shards: acquired ";
    CHECK_MESSAGE(first.err().find(acquired) != std::string::npos,
                  "no '" << acquired << "' in:\n" << first.err());
    runners[1].proc->signal(SIGKILL);
    auto dead = "WARN  [" + runners[0].address + "] membership: runner "
                + runners[1].address + " is dead";
    auto deadline = clock_type::now() + 10s;
    while (first.err().find(dead) == std::string::npos
           && clock_type::now() < deadline) {
      std::this_thread::sleep_for(100ms);
      first.drain();
    }
    CHECK_MESSAGE(first.err().find(dead) != std::string::npos,
                  "no '" << dead << "' in:\n" << first.err());
    MESSAGE("runner log:\n" << first.err());
  }

  TEST_CASE_FIXTURE(cluster_fixture,
                    "asks in flight at a runner frozen by SIGSTOP complete or "
                    "fail with a clear error within a few seconds") {
    start(3);
    auto table = settle();
    fill(); // the client's connection to every runner is open
    auto owner = owners(table);
    auto& victim = runners[1];
    std::vector<size_t> frozen; // counters on the victim
    for (size_t i = 0; i < ids.size(); ++i)
      if (owner[ids[i]] == victim.address)
        frozen.push_back(i);
    REQUIRE_MESSAGE(frozen.size() >= 2, "too few counters live on "
                                          << victim.address);
    auto keyed = frozen[0];
    auto plain = frozen[1];
    // Stopped inside a storage transaction, it would hold up the others'
    // writes too (freeze.hpp).
    REQUIRE(freeze_outside_transaction(*victim.proc, db));
    auto stopped_at = clock_type::now();
    // Both asks reach the frozen runner's socket and wait there; the
    // timeout is far beyond the bound checked below.
    caf::expected<int64_t> inc{0};
    caf::expected<int64_t> got{0};
    double inc_s = 0;
    double got_s = 0;
    std::thread persisted_ask{[&] {
      inc = client->increment(ids[keyed], 100, "frozen-1", 15s);
      inc_s = seconds_between(stopped_at, clock_type::now());
    }};
    std::thread volatile_ask{[&] {
      got = client->get(ids[plain], 15s);
      got_s = seconds_between(stopped_at, clock_type::now());
    }};
    persisted_ask.join();
    volatile_ask.join();
    victim.proc->signal(SIGCONT);
    MESSAGE("SIGSTOP of " << victim.address << ": persisted ask answered after "
                          << inc_s << " s, volatile ask failed after "
                          << got_s << " s");
    REQUIRE_MESSAGE(inc, client->render(inc.error()));
    CHECK(*inc == filled_value(keyed) + 100);
    CHECK(inc_s < 6.0);
    REQUIRE(!got);
    auto text = client->render(got.error());
    CHECK_MESSAGE(text.find("runner " + victim.address + " lost shard "
                            + client->shard_of(ids[plain])
                            + " while the request was in flight")
                    != std::string::npos,
                  text);
    CHECK(got_s < 6.0);
    // The thawed runner's late copy of the increment is not applied: the
    // value holds it once, and the key answers with the stored reply.
    auto thawed = clock_type::now();
    auto rec = await_answers(*client, {ids[keyed], ids[plain]}, thawed,
                             thawed + 15s);
    CHECK(rec.missing.empty());
    CHECK(rec.values[ids[keyed]] == filled_value(keyed) + 100);
    CHECK(rec.values[ids[plain]] == filled_value(plain));
    auto again = client->increment(ids[keyed], 100, "frozen-1", 5s);
    REQUIRE_MESSAGE(again, client->render(again.error()));
    CHECK(*again == filled_value(keyed) + 100);
  }

} // TEST_SUITE
