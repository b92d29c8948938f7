// What only the SQLite runner storage promises: state that survives closing
// the file, a versioned schema, several connections (as several runner
// processes would open) that never share a shard, and clear errors for bad
// paths, bad files and locks held too long.
#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "storage/runner_rows_io.hpp"
#include "storage/sqlite_file.hpp"
#include "storage/temp_dir.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::execute;
using caf_cluster::storage::test::query;
using caf_cluster::storage::test::message_of;
using caf_cluster::storage::test::temp_dir;

namespace {

constexpr int32_t spg = 300;
constexpr int64_t lease = 1000;
constexpr int64_t t0 = 10'000;

using strings = std::vector<std::string>;
using grant_list = std::vector<lease_grant>;

std::unique_ptr<runner_driver> open_driver(const std::string& path,
                                           sqlite_options opts = {}) {
  return test::opened(make_sqlite_runner_driver(path, opts));
}

std::string open_error_of(const std::string& path) {
  return test::open_failure(make_sqlite_runner_driver(path));
}

} // namespace

TEST_SUITE("storage.sqlite_runner_driver") {

TEST_CASE(
  "runners and leases and epochs and shards_per_group survive a reopen") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  runner_row a{"a:1", 0, 3, {"default", "eu"}, true, 0};
  runner_row b{"b:1", 0, 1, {"default"}, true, 0};
  {
    auto d = open_driver(path);
    REQUIRE_EQ(*d->register_runner(a, spg, t0, lease), 0);
    REQUIRE_EQ(*d->register_runner(b, spg, t0 + 1, lease), 1);
    REQUIRE(!d->set_health("b:1", false));
    REQUIRE_EQ(*d->acquire("a:1", {"g:1", "g:2"}, t0, lease),
               grant_list{{"g:1", 1}, {"g:2", 1}});
    REQUIRE(!d->release("a:1", {"g:2"}));
    REQUIRE_EQ(*d->acquire("b:1", {"g:2"}, t0 + 1, lease),
               grant_list{{"g:2", 2}});
  }
  auto d = open_driver(path, sqlite_options{200, true});
  a.last_heartbeat_ms = t0;
  b.machine_id = 1;
  b.healthy = false;
  b.last_heartbeat_ms = t0 + 1;
  CHECK_EQ(*d->all_runners(), std::vector<runner_row>{a, b});
  CHECK_EQ(*d->leases(),
           std::vector<lease_row>{{"g:1", "a:1", 1, t0 + 1000},
                                  {"g:2", "b:1", 2, t0 + 1001}});
  CHECK_EQ(*d->current_epoch("g:2"), 2);
  CHECK_EQ(*d->acquire("a:1", {"g:2"}, t0 + 1001, lease),
           grant_list{{"g:2", 3}});
  auto mismatch = d->register_runner(a, 128, t0, lease);
  REQUIRE(!mismatch);
  CHECK(mismatch.error() == errc::invalid_config);
  CHECK_EQ(*d->register_runner(b, spg, t0 + 2, lease), 1);
}

TEST_CASE("an empty file is migrated once and reopened as is") {
  temp_dir dir;
  auto path = dir.file("empty.db");
  std::ofstream{path}.close();
  open_driver(path);
  open_driver(path);
  auto d = open_driver(path);
  CHECK_EQ(query(path,
                 "SELECT version || ' ' || name"
                 " FROM cluster_runner_migrations"),
           strings{"1 create_runner_tables", "2 add_drain_requested"});
  CHECK_EQ(query(path,
                 "SELECT name FROM sqlite_master WHERE type = 'table'"
                 " ORDER BY name"),
           strings{"cluster_leases", "cluster_meta",
                   "cluster_runner_migrations", "cluster_runners",
                   "cluster_shard_epochs"});
  CHECK_EQ(query(path, "PRAGMA journal_mode"), strings{"wal"});
}

TEST_CASE("connections opening a fresh file at once migrate it once") {
  temp_dir dir;
  auto path = dir.file("fresh.db");
  constexpr int openers = 8;
  std::vector<caf::expected<std::unique_ptr<runner_driver>>> results;
  for (int i = 0; i < openers; ++i)
    results.emplace_back(caf::make_error(errc::io_error, "not run"));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < openers; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (ready < openers)
        std::this_thread::yield();
      results[i] = make_sqlite_runner_driver(path);
    });
  for (auto& t : threads)
    t.join();
  for (auto& result : results)
    CHECK_MESSAGE(result, message_of(result.error()));
  CHECK_EQ(query(path, "SELECT version FROM cluster_runner_migrations"),
           strings{"1", "2"});
}

TEST_CASE("a file from a newer release is refused") {
  temp_dir dir;
  auto path = dir.file("future.db");
  open_driver(path);
  execute(path,
          "INSERT INTO cluster_runner_migrations (version, name)"
          " VALUES (3, 'from_the_future')");
  CHECK_EQ(open_error_of(path),
           "cannot open SQLite storage \"" + path
             + "\": its schema version 3 in cluster_runner_migrations is "
               "newer than this release supports (2)");
}

TEST_CASE("a file of the first release gets drain_requested, all cleared") {
  temp_dir dir;
  auto path = dir.file("v1.db");
  std::ofstream{path}.close();
  // The schema and rows exactly as the first release wrote them.
  execute(path,
          "CREATE TABLE cluster_runner_migrations ("
          " version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL,"
          " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
  execute(path,
          "INSERT INTO cluster_runner_migrations (version, name)"
          " VALUES (1, 'create_runner_tables')");
  execute(path,
          "CREATE TABLE cluster_meta ("
          " key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)");
  execute(path,
          "CREATE TABLE cluster_runners ("
          " address TEXT PRIMARY KEY NOT NULL,"
          " machine_id INTEGER NOT NULL"
          " CHECK (machine_id BETWEEN 0 AND 1023),"
          " weight INTEGER NOT NULL, groups TEXT NOT NULL,"
          " healthy INTEGER NOT NULL CHECK (healthy IN (0, 1)),"
          " last_heartbeat_ms INTEGER NOT NULL)");
  execute(path,
          "CREATE TABLE cluster_leases ("
          " shard TEXT PRIMARY KEY NOT NULL, runner TEXT NOT NULL,"
          " epoch INTEGER NOT NULL CHECK (epoch > 0),"
          " expires_at_ms INTEGER NOT NULL)");
  execute(path,
          "CREATE INDEX cluster_leases_by_runner"
          " ON cluster_leases (runner)");
  execute(path,
          "CREATE TABLE cluster_shard_epochs ("
          " shard TEXT PRIMARY KEY NOT NULL,"
          " epoch INTEGER NOT NULL CHECK (epoch > 0))");
  execute(path, "INSERT INTO cluster_meta VALUES ('shards_per_group', '300')");
  execute(path,
          "INSERT INTO cluster_runners VALUES"
          " ('a:1', 0, 2, '[\"default\"]', 1, 10000)");
  auto d = open_driver(path);
  CHECK_EQ(query(path,
                 "SELECT version || ' ' || name"
                 " FROM cluster_runner_migrations ORDER BY version"),
           strings{"1 create_runner_tables", "2 add_drain_requested"});
  runner_row a{"a:1", 0, 2, {"default"}, true, t0};
  CHECK_EQ(*d->all_runners(), std::vector<runner_row>{a});
  REQUIRE(!d->request_drain("a:1"));
  a.drain_requested = true;
  CHECK_EQ(*d->all_runners(), std::vector<runner_row>{a});
}

TEST_CASE("paths that cannot hold a database give open_failed") {
  temp_dir dir;
  CHECK_EQ(open_error_of("/proc/nonexistent/x.db"),
           "cannot open SQLite storage \"/proc/nonexistent/x.db\": "
           "unable to open database file");
  auto file = dir.file("plain-file");
  std::ofstream{file} << "not a directory";
  CHECK_EQ(open_error_of(file + "/x.db"),
           "cannot open SQLite storage \"" + file
             + "/x.db\": unable to open database file");
  CHECK_EQ(open_error_of(dir.path().string()),
           "cannot open SQLite storage \"" + dir.path().string()
             + "\": unable to open database file");
  auto text = dir.file("notes.txt");
  std::ofstream{text} << std::string(4096, 'x');
  CHECK_EQ(open_error_of(text),
           "cannot open SQLite storage \"" + text
             + "\": file is not a database");
  auto empty = make_sqlite_runner_driver("");
  REQUIRE(!empty);
  CHECK(empty.error() == errc::invalid_argument);
}

TEST_CASE("malformed rows are reported as corrupt") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  auto d = open_driver(path);
  REQUIRE(d->register_runner(runner_row{"a:1", 0, 1, {"eu"}, true, 0}, spg,
                             t0, lease));
  execute(path, "UPDATE cluster_runners SET groups = 'eu'");
  auto rows = d->all_runners();
  REQUIRE(!rows);
  CHECK(rows.error() == errc::corrupt);
  CHECK_EQ(message_of(rows.error()), "runner a:1 has malformed groups: eu");
  execute(path, "UPDATE cluster_meta SET value = '30x'");
  auto id = d->register_runner(runner_row{"b:1", 0, 1, {}, true, 0}, spg, t0,
                               lease);
  REQUIRE(!id);
  CHECK(id.error() == errc::corrupt);
  CHECK_EQ(message_of(id.error()),
           "cluster_meta has a malformed shards_per_group: 30x");
}

TEST_CASE("a write lock held past the busy timeout gives busy") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  auto d = open_driver(path, sqlite_options{50, false});
  REQUIRE_EQ(*d->acquire("a:1", {"g:1"}, t0, lease), grant_list{{"g:1", 1}});
  {
    SQLite::Database other{path, SQLite::OPEN_READWRITE};
    SQLite::Transaction tx{other, SQLite::TransactionBehavior::IMMEDIATE};
    auto result = d->acquire("a:1", {"g:2"}, t0, lease);
    REQUIRE(!result);
    CHECK(result.error() == errc::busy);
    CHECK_EQ(message_of(result.error()),
             "acquire leases for runner a:1 in " + path
               + ": database is locked");
    // WAL readers never wait for a writer.
    CHECK_EQ(d->leases()->size(), 1u);
    CHECK(d->refresh("a:1", {}, t0, lease).error() == errc::busy);
  }
  CHECK_EQ(*d->acquire("a:1", {"g:2"}, t0, lease), grant_list{{"g:2", 1}});
}

TEST_CASE("connections racing for the same shards never share one") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  constexpr int runners = 4;
  constexpr int rounds = 5;
  strings shards;
  for (int i = 1; i <= 64; ++i)
    shards.push_back("default:" + std::to_string(i));
  std::vector<std::unique_ptr<runner_driver>> drivers;
  for (int i = 0; i < runners; ++i)
    drivers.push_back(open_driver(path));
  for (int round = 0; round < rounds; ++round) {
    // Every lease of the previous round expired at this instant.
    auto now = t0 + round * lease;
    std::vector<caf::expected<grant_list>> results(runners, grant_list{});
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < runners; ++i)
      threads.emplace_back([&, i] {
        ++ready;
        while (ready < runners)
          std::this_thread::yield();
        results[i] = drivers[i]->acquire("r:" + std::to_string(i), shards,
                                         now, lease);
      });
    for (auto& t : threads)
      t.join();
    std::map<std::string, int> holders;
    for (int i = 0; i < runners; ++i) {
      REQUIRE_MESSAGE(results[i], message_of(results[i].error()));
      for (const auto& grant : *results[i]) {
        CHECK_EQ(grant.epoch, round + 1);
        CHECK_MESSAGE(holders.emplace(grant.shard, i).second,
                      grant.shard << " granted twice");
      }
    }
    CHECK_EQ(holders.size(), shards.size());
    auto rows = drivers[0]->leases();
    REQUIRE(rows);
    REQUIRE_EQ(rows->size(), shards.size());
    for (const auto& row : *rows)
      CHECK_EQ(row.runner, "r:" + std::to_string(holders[row.shard]));
  }
}

} // TEST_SUITE
