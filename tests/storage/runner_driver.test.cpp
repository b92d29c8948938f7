// The runner storage contract that the core relies on (docs/architecture.md §7), run
// against every backend: machine ids, liveness, the shards-per-group guard,
// lease grants, and fencing epochs. Time is a plain number here.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/postgres_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "storage/postgres_server.hpp"
#include "storage/runner_rows_io.hpp"
#include "storage/temp_dir.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::message_of;

namespace {

constexpr int32_t spg = 300;
constexpr int64_t lease = 1000;
constexpr int64_t t0 = 10'000;

/// Drivers on one in-memory store.
struct memory_backend {
  std::shared_ptr<memory_runner_store> store = make_memory_runner_store();

  std::unique_ptr<runner_driver> open() {
    return make_memory_runner_driver(store);
  }
};

/// Drivers (one connection each) on one database file.
struct sqlite_backend {
  test::temp_dir dir;

  std::unique_ptr<runner_driver> open() {
    auto driver = make_sqlite_runner_driver(dir.file("runners.db"));
    REQUIRE_MESSAGE(driver, message_of(driver.error()));
    return std::move(*driver);
  }
};

/// Drivers (a connection pool each) on one schema of the test server.
struct postgres_backend {
  test::postgres_schema schema;

  std::unique_ptr<runner_driver> open() {
    auto driver = make_postgres_runner_driver(schema.uri());
    REQUIRE_MESSAGE(driver, message_of(driver.error()));
    return std::move(*driver);
  }
};

runner_row runner(std::string address,
                  std::vector<std::string> groups = {"default"}) {
  runner_row row;
  row.address = std::move(address);
  row.groups = std::move(groups);
  return row;
}

/// The row the driver should store for `row` registered at `now` as `id`.
runner_row stored(runner_row row, int32_t id, int64_t now) {
  row.machine_id = id;
  row.last_heartbeat_ms = now;
  return row;
}

int32_t register_at(runner_driver& d, const std::string& address, int64_t now) {
  auto id = d.register_runner(runner(address), spg, now, lease);
  REQUIRE_MESSAGE(id, message_of(id.error()));
  return *id;
}

std::vector<lease_grant> grants(runner_driver& d, const std::string& runner,
                                const std::vector<std::string>& shards,
                                int64_t now) {
  auto result = d.acquire(runner, shards, now, lease);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

std::vector<lease_grant> refreshed(runner_driver& d, const std::string& runner,
                                   const std::vector<std::string>& shards,
                                   int64_t now) {
  auto result = d.refresh(runner, shards, now, lease);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

std::vector<std::string> addresses(const std::vector<runner_row>& rows) {
  std::vector<std::string> result;
  for (const auto& row : rows)
    result.push_back(row.address);
  return result;
}

std::vector<std::string> live_at(runner_driver& d, int64_t now) {
  auto rows = d.live_runners(now, lease);
  REQUIRE_MESSAGE(rows, message_of(rows.error()));
  return addresses(*rows);
}

std::vector<lease_row> all_leases(runner_driver& d) {
  auto rows = d.leases();
  REQUIRE_MESSAGE(rows, message_of(rows.error()));
  return *rows;
}

int64_t epoch_of(runner_driver& d, const std::string& shard) {
  auto epoch = d.current_epoch(shard);
  REQUIRE_MESSAGE(epoch, message_of(epoch.error()));
  return *epoch;
}

using strings = std::vector<std::string>;
using grant_list = std::vector<lease_grant>;

} // namespace

TYPE_TO_STRING_AS("memory", memory_backend);
TYPE_TO_STRING_AS("sqlite", sqlite_backend);
TYPE_TO_STRING_AS("postgresql", postgres_backend);

TEST_SUITE("storage.runner_driver") {

TEST_CASE_TEMPLATE("machine ids are unique among live runners", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  CHECK_EQ(register_at(*d, "10.0.0.2:4000", t0), 0);
  CHECK_EQ(register_at(*d, "10.0.0.1:4000", t0 + 1), 1);
  auto eu = runner("10.0.0.3:4000", {"default", "eu"});
  eu.weight = 3;
  eu.healthy = false;
  auto id = d->register_runner(eu, spg, t0 + 2, lease);
  REQUIRE(id);
  CHECK_EQ(*id, 2);
  auto rows = d->live_runners(t0 + 2, lease);
  REQUIRE(rows);
  CHECK_EQ(*rows,
           std::vector<runner_row>{
             stored(runner("10.0.0.1:4000"), 1, t0 + 1),
             stored(runner("10.0.0.2:4000"), 0, t0),
             stored(eu, 2, t0 + 2),
           });
}

TEST_CASE_TEMPLATE("registering again keeps the id and updates the row", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(register_at(*d, "a:1", t0), 0);
  REQUIRE_EQ(register_at(*d, "b:1", t0), 1);
  auto again = runner("b:1", {"eu"});
  again.weight = 2;
  auto id = d->register_runner(again, spg, t0 + 500, lease);
  REQUIRE(id);
  CHECK_EQ(*id, 1);
  auto rows = d->all_runners();
  REQUIRE(rows);
  CHECK_EQ(*rows,
           std::vector<runner_row>{stored(runner("a:1"), 0, t0),
                                   stored(again, 1, t0 + 500)});
}

TEST_CASE_TEMPLATE("a dead runner's id goes to the next runner", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(register_at(*d, "a:1", t0), 0);
  REQUIRE_EQ(register_at(*d, "b:1", t0), 1);
  refreshed(*d, "b:1", {}, t0 + 900);
  // a's heartbeat at t0 is stale from t0 + lease on.
  CHECK_EQ(register_at(*d, "c:1", t0 + 999), 2);
  CHECK_EQ(register_at(*d, "d:1", t0 + 1000), 0);
  // a lost its row with its id: it cannot come back with a duplicate.
  auto rows = d->all_runners();
  REQUIRE(rows);
  CHECK_EQ(addresses(*rows), strings{"b:1", "c:1", "d:1"});
  refreshed(*d, "a:1", {}, t0 + 1000);
  CHECK_EQ(live_at(*d, t0 + 1000), strings{"b:1", "c:1", "d:1"});
  CHECK_EQ(register_at(*d, "a:1", t0 + 1000), 3);
}

TEST_CASE_TEMPLATE("a returning runner keeps its id while it is free", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(register_at(*d, "a:1", t0), 0);
  REQUIRE_EQ(register_at(*d, "b:1", t0), 1);
  REQUIRE_EQ(register_at(*d, "c:1", t0), 2);
  refreshed(*d, "a:1", {}, t0 + 900);
  CHECK_EQ(live_at(*d, t0 + 1500), strings{"a:1"});
  CHECK_EQ(register_at(*d, "c:1", t0 + 1500), 2);
  CHECK_EQ(register_at(*d, "e:1", t0 + 1500), 1);
}

TEST_CASE_TEMPLATE("machine ids run out at 1024 live runners", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  for (int32_t i = 0; i < 1024; ++i)
    REQUIRE_EQ(register_at(*d, "r:" + std::to_string(i), t0), i);
  auto id = d->register_runner(runner("r:1024"), spg, t0 + 999, lease);
  REQUIRE(!id);
  CHECK(id.error() == errc::exhausted);
  CHECK_EQ(message_of(id.error()),
           "no free machine id: all 1024 ids belong to live runners");
  refreshed(*d, "r:7", {}, t0 + 999);
  REQUIRE_EQ(register_at(*d, "r:1024", t0 + 1000), 0);
}

TEST_CASE_TEMPLATE("a different shards_per_group is refused", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(register_at(*d, "a:1", t0), 0);
  auto id = d->register_runner(runner("b:1"), 128, t0, lease);
  REQUIRE(!id);
  CHECK(id.error() == errc::invalid_config);
  CHECK_EQ(message_of(id.error()),
           "cluster.shards-per-group is 128 for this runner but 300 for the "
           "cluster in this storage; every runner must use the same "
           "cluster.shards-per-group");
  CHECK_EQ(live_at(*d, t0), strings{"a:1"});
  // Also a registered runner cannot change it, even when it is alone.
  CHECK(!d->register_runner(runner("a:1"), 301, t0, lease));
  CHECK_EQ(register_at(*d, "b:1", t0), 1);
}

TEST_CASE_TEMPLATE("invalid arguments are refused", B, memory_backend,
                   sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto check_invalid = [](const caf::error& err, const std::string& msg) {
    CHECK(err == errc::invalid_argument);
    CHECK_EQ(message_of(err), msg);
  };
  check_invalid(d->register_runner(runner(""), spg, t0, lease).error(),
                "a runner address must not be empty");
  check_invalid(d->register_runner(runner("a:1"), 0, t0, lease).error(),
                "shards per group must be at least 1, got 0");
  check_invalid(d->register_runner(runner("a:1"), spg, t0, 0).error(),
                "the lease duration must be at least 1 ms, got 0");
  check_invalid(d->acquire("a:1", {"default:1"}, t0, -5).error(),
                "the lease duration must be at least 1 ms, got -5");
  check_invalid(d->refresh("", {}, t0, lease).error(),
                "a runner address must not be empty");
  // A refused registration stores nothing, not even shards_per_group.
  CHECK_EQ(live_at(*d, t0), strings{});
  auto id = d->register_runner(runner("a:1"), 7, t0, lease);
  CHECK(id);
}

TEST_CASE_TEMPLATE("live runners exclude stale heartbeats", B, memory_backend,
                   sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  register_at(*d, "b:1", t0 + 500);
  register_at(*d, "a:1", t0);
  CHECK_EQ(live_at(*d, t0 + 999), strings{"a:1", "b:1"});
  CHECK_EQ(live_at(*d, t0 + 1000), strings{"b:1"});
  CHECK_EQ(live_at(*d, t0 + 1500), strings{});
  auto all = d->all_runners();
  REQUIRE(all);
  CHECK_EQ(addresses(*all), strings{"a:1", "b:1"});
}

TEST_CASE_TEMPLATE("set_health and unregister change only their runner", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  register_at(*d, "a:1", t0);
  register_at(*d, "b:1", t0);
  CHECK(!d->set_health("a:1", false));
  CHECK(!d->set_health("nobody:1", false));
  auto rows = d->live_runners(t0, lease);
  REQUIRE(rows);
  REQUIRE_EQ(rows->size(), 2u);
  CHECK_EQ((*rows)[0].healthy, false);
  CHECK_EQ((*rows)[1].healthy, true);
  CHECK(!d->set_health("a:1", true));
  rows = d->live_runners(t0, lease);
  REQUIRE(rows);
  CHECK_EQ((*rows)[0].healthy, true);
  REQUIRE_EQ(grants(*d, "b:1", {"default:1"}, t0),
             grant_list{{"default:1", 1}});
  CHECK(!d->unregister_runner("b:1"));
  CHECK(!d->unregister_runner("nobody:1"));
  CHECK_EQ(live_at(*d, t0), strings{"a:1"});
  // Leases outlive the runner row until release_all or expiry.
  CHECK_EQ(all_leases(*d),
           std::vector<lease_row>{{"default:1", "b:1", 1, t0 + lease}});
}

TEST_CASE_TEMPLATE("acquire grants only free or expired or own shards", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  CHECK_EQ(grants(*d, "a:1", {"default:2", "default:1", "default:2"}, t0),
           grant_list{{"default:2", 1}, {"default:1", 1}});
  CHECK_EQ(grants(*d, "b:1", {"default:1", "default:3"}, t0 + 999),
           grant_list{{"default:3", 1}});
  // Re-acquiring a held lease extends it under the same epoch.
  CHECK_EQ(grants(*d, "a:1", {"default:1", "default:3"}, t0 + 500),
           grant_list{{"default:1", 1}});
  CHECK_EQ(all_leases(*d),
           std::vector<lease_row>{
             {"default:1", "a:1", 1, t0 + 1500},
             {"default:2", "a:1", 1, t0 + 1000},
             {"default:3", "b:1", 1, t0 + 1999},
           });
  // default:2 expired at t0 + 1000; default:1 holds until t0 + 1500.
  CHECK_EQ(grants(*d, "b:1", {"default:1", "default:2"}, t0 + 1000),
           grant_list{{"default:2", 2}});
  CHECK_EQ(grants(*d, "a:1", {"default:2"}, t0 + 1000), grant_list{});
  CHECK_EQ(grants(*d, "a:1", {}, t0 + 1000), grant_list{});
}

TEST_CASE_TEMPLATE("two drivers on one storage never both hold a shard", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d1 = backend.open();
  auto d2 = backend.open();
  strings first{"g:1", "g:2", "g:3"};
  CHECK_EQ(grants(*d1, "a:1", first, t0),
           grant_list{{"g:1", 1}, {"g:2", 1}, {"g:3", 1}});
  CHECK_EQ(grants(*d2, "b:1", {"g:3", "g:4"}, t0 + 1),
           grant_list{{"g:4", 1}});
  CHECK_EQ(refreshed(*d1, "a:1", {"g:1"}, t0 + 600), grant_list{{"g:1", 1}});
  CHECK_EQ(grants(*d2, "b:1", first, t0 + 1000),
           grant_list{{"g:2", 2}, {"g:3", 2}});
  CHECK_EQ(refreshed(*d1, "a:1", first, t0 + 1000), grant_list{{"g:1", 1}});
  CHECK_EQ(all_leases(*d2),
           std::vector<lease_row>{
             {"g:1", "a:1", 1, t0 + 2000},
             {"g:2", "b:1", 2, t0 + 2000},
             {"g:3", "b:1", 2, t0 + 2000},
             {"g:4", "b:1", 1, t0 + 1001},
           });
}

TEST_CASE_TEMPLATE("epochs increase across grants and releases and reopens",
                   B, memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  CHECK_EQ(epoch_of(*d, "g:1"), 0);
  CHECK_EQ(grants(*d, "a:1", {"g:1"}, t0), grant_list{{"g:1", 1}});
  CHECK(!d->release("a:1", {"g:1"}));
  CHECK_EQ(all_leases(*d), std::vector<lease_row>{});
  CHECK_EQ(epoch_of(*d, "g:1"), 1);
  CHECK_EQ(grants(*d, "a:1", {"g:1"}, t0), grant_list{{"g:1", 2}});
  CHECK(!d->release_all("a:1"));
  CHECK_EQ(grants(*d, "b:1", {"g:1"}, t0), grant_list{{"g:1", 3}});
  // An own lease that expired is a new grant: its holder stopped serving.
  CHECK_EQ(grants(*d, "b:1", {"g:1"}, t0 + 1000), grant_list{{"g:1", 4}});
  CHECK_EQ(grants(*d, "a:1", {"g:1"}, t0 + 2000), grant_list{{"g:1", 5}});
  d = backend.open();
  CHECK_EQ(epoch_of(*d, "g:1"), 5);
  CHECK_EQ(grants(*d, "b:1", {"g:1", "g:2"}, t0 + 3000),
           grant_list{{"g:1", 6}, {"g:2", 1}});
  CHECK_EQ(epoch_of(*d, "g:2"), 1);
  CHECK_EQ(epoch_of(*d, "g:3"), 0);
}

TEST_CASE_TEMPLATE("refresh extends only held leases and heartbeats", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  register_at(*d, "a:1", t0);
  REQUIRE_EQ(grants(*d, "a:1", {"g:1", "g:2"}, t0).size(), 2u);
  REQUIRE_EQ(grants(*d, "b:1", {"g:3"}, t0).size(), 1u);
  CHECK_EQ(refreshed(*d, "a:1", {"g:3", "g:1", "g:9", "g:1"}, t0 + 600),
           grant_list{{"g:1", 1}});
  CHECK_EQ(all_leases(*d),
           std::vector<lease_row>{
             {"g:1", "a:1", 1, t0 + 1600},
             {"g:2", "a:1", 1, t0 + 1000},
             {"g:3", "b:1", 1, t0 + 1000},
           });
  CHECK_EQ(live_at(*d, t0 + 1599), strings{"a:1"});
  // An expired lease is lost for good: refresh never grants.
  CHECK_EQ(refreshed(*d, "a:1", {"g:1", "g:2"}, t0 + 1000),
           grant_list{{"g:1", 1}});
  // The empty refresh is the liveness probe.
  CHECK_EQ(refreshed(*d, "a:1", {}, t0 + 1999), grant_list{});
  CHECK_EQ(live_at(*d, t0 + 2998), strings{"a:1"});
  CHECK_EQ(live_at(*d, t0 + 2999), strings{});
}

TEST_CASE_TEMPLATE("release and release_all drop only own leases", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(grants(*d, "a:1", {"g:1", "g:2", "g:4"}, t0).size(), 3u);
  REQUIRE_EQ(grants(*d, "b:1", {"g:3"}, t0).size(), 1u);
  CHECK(!d->release("b:1", {"g:1"}));
  CHECK(!d->release("a:1", {"g:1", "g:3", "g:7"}));
  CHECK_EQ(all_leases(*d),
           std::vector<lease_row>{
             {"g:2", "a:1", 1, t0 + 1000},
             {"g:3", "b:1", 1, t0 + 1000},
             {"g:4", "a:1", 1, t0 + 1000},
           });
  CHECK(!d->release_all("a:1"));
  CHECK_EQ(all_leases(*d),
           std::vector<lease_row>{{"g:3", "b:1", 1, t0 + 1000}});
  CHECK_EQ(grants(*d, "b:1", {"g:1", "g:2"}, t0 + 1),
           grant_list{{"g:1", 2}, {"g:2", 2}});
}

TEST_CASE_TEMPLATE("groups survive any characters", B, memory_backend,
                   sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  strings groups{"default",
                 "eu,west",
                 "q\"uo\\te",
                 "line\nbreak\t",
                 "\xc3\xbc"
                 "n"
                 "\xc3\xaf"
                 "c"
                 "\xc3\xb6"
                 "d"
                 "\xc3\xa9",
                 ""};
  auto row = runner("a:1", groups);
  REQUIRE(d->register_runner(row, spg, t0, lease));
  auto rows = d->all_runners();
  REQUIRE(rows);
  REQUIRE_EQ(rows->size(), 1u);
  CHECK_EQ(rows->front().groups, groups);
  row.groups.clear();
  REQUIRE(d->register_runner(row, spg, t0, lease));
  rows = d->all_runners();
  REQUIRE(rows);
  CHECK_EQ(rows->front().groups, strings{});
}

TEST_CASE_TEMPLATE(
  "request_drain flags only its runner until it registers again", B,
  memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  register_at(*d, "a:1", t0);
  register_at(*d, "b:1", t0);
  CHECK(!d->request_drain("a:1"));
  CHECK(!d->request_drain("a:1"));
  auto rows = d->live_runners(t0, lease);
  REQUIRE(rows);
  REQUIRE_EQ(rows->size(), 2u);
  CHECK_EQ((*rows)[0].drain_requested, true);
  CHECK_EQ((*rows)[1].drain_requested, false);
  // A refresh (the heartbeat) keeps the flag; registering again clears it.
  refreshed(*d, "a:1", {}, t0 + 1);
  rows = d->all_runners();
  REQUIRE(rows);
  CHECK_EQ((*rows)[0].drain_requested, true);
  register_at(*d, "a:1", t0 + 2);
  rows = d->all_runners();
  REQUIRE(rows);
  CHECK_EQ((*rows)[0].drain_requested, false);
  auto err = d->request_drain("nobody:1");
  CHECK(err == errc::unknown_runner);
  CHECK_EQ(message_of(err), "no runner is registered at 'nobody:1'");
}

TEST_CASE_TEMPLATE("forget_runner removes a dead runner and its leases only", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  register_at(*d, "a:1", t0);
  register_at(*d, "b:1", t0);
  REQUIRE_EQ(grants(*d, "a:1", {"default:1"}, t0),
             grant_list{{"default:1", 1}});
  REQUIRE_EQ(grants(*d, "b:1", {"default:2"}, t0),
             grant_list{{"default:2", 1}});
  // Live: its heartbeat is younger than the lease duration.
  auto alive = d->forget_runner("a:1", t0 + lease - 1, lease);
  CHECK(alive == errc::runner_alive);
  CHECK_EQ(message_of(alive),
           "runner 'a:1' is alive (last heartbeat 999 ms ago, lease duration "
           "1000 ms): stop it or drain it first");
  CHECK_EQ(addresses(*d->all_runners()), strings{"a:1", "b:1"});
  CHECK(d->forget_runner("nobody:1", t0 + lease, lease)
        == errc::unknown_runner);
  CHECK(d->forget_runner("a:1", t0 + lease, 0) == errc::invalid_argument);
  CHECK(!d->forget_runner("a:1", t0 + lease, lease));
  CHECK_EQ(addresses(*d->all_runners()), strings{"b:1"});
  CHECK_EQ(all_leases(*d),
           std::vector<lease_row>{{"default:2", "b:1", 1, t0 + lease}});
  // Epochs survive: the next grant of the shard still fences the old one.
  CHECK_EQ(grants(*d, "b:1", {"default:1"}, t0 + lease),
           grant_list{{"default:1", 2}});
  CHECK(d->forget_runner("a:1", t0 + lease, lease) == errc::unknown_runner);
}

TEST_CASE_TEMPLATE("heartbeats and leases dated ahead beyond the skew are not "
                   "believed",
                   B, memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  CHECK_EQ(d->max_clock_skew(), default_max_clock_skew_ms);
  d->set_max_clock_skew(2000);
  constexpr int64_t ten_years = int64_t{10} * 365 * 24 * 3600 * 1000;
  register_at(*d, "a:1", t0);
  register_at(*d, "ahead:1", t0);
  register_at(*d, "forged:1", t0);
  // What a writer of the database can do: a heartbeat and a lease dated
  // years ahead, as if written by a clock that far off.
  REQUIRE(refreshed(*d, "forged:1", {}, t0 + ten_years).empty());
  REQUIRE_EQ(grants(*d, "forged:1", {"default:1"}, t0 + ten_years),
             grant_list{{"default:1", 1}});
  // Within the skew a clock ahead is believed, beyond it not.
  REQUIRE(refreshed(*d, "ahead:1", {}, t0 + 2000).empty());
  CHECK_EQ(live_at(*d, t0), strings{"a:1", "ahead:1"});
  CHECK_EQ(live_at(*d, t0 - 1), strings{"a:1"});
  // The forged lease does not keep the shard from a live runner: it is
  // granted with a larger epoch, which fences the forger's writes.
  CHECK_EQ(grants(*d, "a:1", {"default:1"}, t0),
           grant_list{{"default:1", 2}});
  CHECK_EQ(grants(*d, "forged:1", {"default:1"}, t0), grant_list{});
  // A lease dated ahead within the skew (a grant by a clock 2 s ahead)
  // holds.
  REQUIRE_EQ(grants(*d, "ahead:1", {"default:2"}, t0 + 2000),
             grant_list{{"default:2", 1}});
  CHECK_EQ(grants(*d, "a:1", {"default:2"}, t0), grant_list{});
  // The forged row can be forgotten: it does not count as alive.
  CHECK(!d->forget_runner("forged:1", t0, lease));
  CHECK_EQ(addresses(*d->all_runners()), strings{"a:1", "ahead:1"});
  // A negative allowance is taken as none.
  d->set_max_clock_skew(-5);
  CHECK_EQ(d->max_clock_skew(), 0);
  CHECK_EQ(live_at(*d, t0), strings{"a:1"});
}

} // TEST_SUITE
