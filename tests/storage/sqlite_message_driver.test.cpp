// What only the SQLite message storage promises: rows that survive closing
// the file, a versioned schema beside the runner tables in one file, bytes
// stored as bytes, several connections (as several runner processes would
// open) that store each key once, and clear errors for bad paths and locks.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "storage/message_rows_io.hpp"
#include "storage/sqlite_file.hpp"
#include "storage/temp_dir.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::execute;
using caf_cluster::storage::test::message_of;
using caf_cluster::storage::test::query;
using caf_cluster::storage::test::temp_dir;

namespace {

constexpr int64_t t0 = 10'000;
constexpr int64_t claim = 60'000;
constexpr int64_t lease = 1000;

using strings = std::vector<std::string>;

std::unique_ptr<message_driver> open_driver(const std::string& path,
                                            sqlite_options opts = {}) {
  return test::opened(make_sqlite_message_driver(path, opts));
}

std::unique_ptr<runner_driver> open_runners(const std::string& path) {
  return test::opened(make_sqlite_runner_driver(path));
}

std::string open_error_of(const std::string& path) {
  return test::open_failure(make_sqlite_message_driver(path));
}

request_row request(int64_t id, std::string entity, std::string key = "") {
  request_row row;
  row.request_id = id;
  row.entity_type = "Counter";
  row.entity_id = std::move(entity);
  row.shard = "default:1";
  row.tag = "increment";
  row.payload = std::string{"\0p", 2} + std::to_string(id);
  row.headers = std::string{"\0h", 2};
  row.primary_key = key.empty() ? std::to_string(id) : std::move(key);
  return row;
}

reply_write reply_to(int64_t id, std::string payload, int64_t epoch) {
  return reply_write{reply_row{id, true, std::move(payload)},
                     fence{"default:1", epoch}, std::nullopt};
}

} // namespace

TEST_SUITE("storage.sqlite_message_driver") {

TEST_CASE("requests and replies and claims and states survive a reopen") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  {
    auto d = open_driver(path);
    REQUIRE(d->save_requests(
      {request(1, "c-1", "k1"), request(2, "c-1"), request(3, "c-2")}));
    auto write = reply_to(1, std::string{"\0r", 2}, 0);
    write.state = state_row{"Counter", "c-1", std::string{"\0s", 2}};
    REQUIRE_EQ(d->save_replies({write})->at(0), caf::error{});
    REQUIRE_EQ(d->claim_unprocessed({"default:1"}, t0, claim, 1)->size(), 1u);
  }
  auto d = open_driver(path, sqlite_options{200, true});
  CHECK_EQ(*d->reply_for(1), reply_row{1, true, std::string{"\0r", 2}});
  CHECK_EQ(*d->load_state("Counter", "c-1"), std::string{"\0s", 2});
  CHECK_EQ(*d->save_requests({request(9, "c-1", "k1")}),
           std::vector<save_outcome>{
             {true, 1, reply_row{1, true, std::string{"\0r", 2}}}});
  // Request 2 is still claimed; request 3 is not.
  auto row = request(3, "c-2");
  row.claimed_at_ms = t0 + 1;
  CHECK_EQ(*d->claim_unprocessed({"default:1"}, t0 + 1, claim, 10),
           std::vector<request_row>{row});
  CHECK_EQ(*d->pending_counts(),
           std::vector<pending_count>{{"default:1", "Counter", 2}});
}

TEST_CASE("an empty file gets the runner and message tables once") {
  temp_dir dir;
  auto path = dir.file("empty.db");
  std::ofstream{path}.close();
  open_driver(path);
  open_driver(path);
  open_runners(path);
  CHECK_EQ(query(path,
                 "SELECT version || ' ' || name"
                 " FROM cluster_message_migrations"),
           strings{"1 create_message_tables", "2 add_processed_at"});
  CHECK_EQ(query(path,
                 "SELECT version || ' ' || name"
                 " FROM cluster_runner_migrations"),
           strings{"1 create_runner_tables", "2 add_drain_requested"});
  CHECK_EQ(query(path,
                 "SELECT name FROM sqlite_master WHERE type = 'table'"
                 " ORDER BY name"),
           strings{"cluster_entity_states", "cluster_leases",
                   "cluster_message_migrations", "cluster_meta",
                   "cluster_replies", "cluster_requests",
                   "cluster_runner_migrations", "cluster_runners",
                   "cluster_shard_epochs"});
  CHECK_EQ(query(path, "PRAGMA journal_mode"), strings{"wal"});
}

TEST_CASE("runner and message storage share one file in either order") {
  temp_dir dir;
  // Fencing in one file: a lease granted through the runner storage refuses
  // the message writes of the previous holder.
  auto check_shared = [](runner_driver& runners, message_driver& messages) {
    REQUIRE(runners.register_runner(
      runner_row{"a:1", 0, 1, {"default"}, true, 0}, 300, t0, lease));
    REQUIRE_EQ(*runners.acquire("a:1", {"default:1"}, t0, lease),
               std::vector<lease_grant>{{"default:1", 1}});
    REQUIRE(messages.save_requests({request(1, "c-1")}));
    REQUIRE_EQ(*runners.acquire("b:1", {"default:1"}, t0 + lease, lease),
               std::vector<lease_grant>{{"default:1", 2}});
    auto stale = messages.save_replies({reply_to(1, "late", 1)});
    REQUIRE(stale);
    CHECK(stale->at(0) == errc::fenced);
    CHECK_EQ(message_of(stale->at(0)),
             "shard default:1 has epoch 2, newer than the writer's epoch 1");
    CHECK_EQ(messages.save_replies({reply_to(1, "b", 2)})->at(0),
             caf::error{});
    CHECK_EQ(runners.all_runners()->size(), 1u);
  };
  SUBCASE("runner storage first") {
    auto path = dir.file("runners-first.db");
    auto runners = open_runners(path);
    auto messages = open_driver(path);
    check_shared(*runners, *messages);
  }
  SUBCASE("message storage first") {
    auto path = dir.file("messages-first.db");
    auto messages = open_driver(path);
    auto runners = open_runners(path);
    check_shared(*runners, *messages);
  }
}

TEST_CASE("payloads and headers and states are stored as blobs") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  auto d = open_driver(path);
  REQUIRE(d->save_requests({request(1, "c-1")}));
  auto write = reply_to(1, "r", 0);
  write.state = state_row{"Counter", "c-1", "s"};
  REQUIRE_EQ(d->save_replies({write})->at(0), caf::error{});
  CHECK_EQ(query(path,
                 "SELECT typeof(payload) || typeof(headers)"
                 " FROM cluster_requests"),
           strings{"blobblob"});
  CHECK_EQ(query(path, "SELECT typeof(payload) FROM cluster_replies"),
           strings{"blob"});
  CHECK_EQ(query(path, "SELECT typeof(payload) FROM cluster_entity_states"),
           strings{"blob"});
}

TEST_CASE("a message schema from a newer release is refused") {
  temp_dir dir;
  auto path = dir.file("future.db");
  open_driver(path);
  execute(path,
          "INSERT INTO cluster_message_migrations (version, name)"
          " VALUES (3, 'from_the_future')");
  CHECK_EQ(open_error_of(path),
           "cannot open SQLite storage \"" + path
             + "\": its schema version 3 in cluster_message_migrations is "
               "newer than this release supports (2)");
}

TEST_CASE("processed requests of a file from before retention are stamped "
          "and then expire") {
  temp_dir dir;
  auto path = dir.file("v1.db");
  {
    auto d = open_driver(path);
    REQUIRE(d->save_requests({request(1, "c-1"), request(2, "c-2")}));
    REQUIRE_EQ(d->save_replies({reply_to(1, "r", 0)})->at(0), caf::error{});
  }
  // Back to the first schema: what a file of the previous release holds.
  execute(path, "DROP INDEX cluster_requests_done");
  execute(path, "ALTER TABLE cluster_requests DROP COLUMN processed_at_ms");
  execute(path, "DELETE FROM cluster_message_migrations WHERE version = 2");
  auto d = open_driver(path);
  CHECK_EQ(query(path,
                 "SELECT request_id || ' ' || processed || ' ' ||"
                 " processed_at_ms FROM cluster_requests"),
           strings{"1 1 0", "2 0 0"});
  constexpr int64_t day = 86'400'000;
  CHECK_EQ(*d->expire_processed(t0, day, {}, 10), 1u);
  CHECK_EQ(query(path,
                 "SELECT request_id || ' ' || processed_at_ms"
                 " FROM cluster_requests"),
           strings{"1 " + std::to_string(t0), "2 0"});
  CHECK_EQ(*d->expire_processed(t0 + day, day, {}, 10), 1u);
  CHECK_EQ(query(path, "SELECT request_id FROM cluster_requests"),
           strings{"2"});
  CHECK_EQ(query(path, "SELECT COUNT(*) FROM cluster_replies"), strings{"0"});
}

TEST_CASE("table sizes include the bytes of tables and indexes") {
  temp_dir dir;
  auto d = open_driver(dir.file("cluster.db"));
  REQUIRE(d->save_requests({request(1, "c-1")}));
  auto sizes = d->table_sizes();
  REQUIRE(sizes);
  REQUIRE_EQ(sizes->size(), 3u);
  // Debian's SQLite has dbstat: a page per table, more with its indexes
  // (the requests table has four).
  CHECK_EQ(sizes->at(0).bytes, 4096);
  CHECK_EQ(sizes->at(1).bytes, 4096);
  CHECK_EQ(sizes->at(2).bytes, 5 * 4096);
}

TEST_CASE("message storage on an unusable path gives open_failed") {
  temp_dir dir;
  CHECK_EQ(open_error_of("/proc/nonexistent/x.db"),
           "cannot open SQLite storage \"/proc/nonexistent/x.db\": "
           "unable to open database file");
  // A file that exists but cannot be written, also by root.
  CHECK_EQ(open_error_of("/proc/version"),
           "cannot open SQLite storage \"/proc/version\": "
           "unable to open database file");
  CHECK_EQ(open_error_of(dir.path().string()),
           "cannot open SQLite storage \"" + dir.path().string()
             + "\": unable to open database file");
  auto text = dir.file("notes.txt");
  std::ofstream{text} << std::string(4096, 'x');
  CHECK_EQ(open_error_of(text),
           "cannot open SQLite storage \"" + text
             + "\": file is not a database");
  if (geteuid() != 0) {
    // Permissions do not bind root, who runs the tests in CI containers.
    auto locked = dir.file("locked");
    std::filesystem::create_directory(locked);
    std::filesystem::permissions(locked,
                                 std::filesystem::perms::owner_read
                                   | std::filesystem::perms::owner_exec);
    CHECK_EQ(open_error_of(locked + "/x.db"),
             "cannot open SQLite storage \"" + locked
               + "/x.db\": unable to open database file");
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
  }
  auto empty = make_sqlite_message_driver("");
  REQUIRE(!empty);
  CHECK(empty.error() == errc::invalid_argument);
}

TEST_CASE("message writes locked out past the busy timeout give busy") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  auto d = open_driver(path, sqlite_options{50, false});
  REQUIRE(d->save_requests({request(1, "c-1")}));
  {
    SQLite::Database other{path, SQLite::OPEN_READWRITE};
    SQLite::Transaction tx{other, SQLite::TransactionBehavior::IMMEDIATE};
    auto result = d->save_requests({request(2, "c-1")});
    REQUIRE(!result);
    CHECK(result.error() == errc::busy);
    CHECK_EQ(message_of(result.error()),
             "save 1 requests in " + path + ": database is locked");
    CHECK(d->save_replies({reply_to(1, "r", 0)}).error() == errc::busy);
    CHECK(d->claim_unprocessed({"default:1"}, t0, claim, 10).error()
          == errc::busy);
    // WAL readers never wait for a writer.
    CHECK_EQ(*d->pending_counts(),
             std::vector<pending_count>{{"default:1", "Counter", 1}});
    CHECK_EQ(*d->reply_for(1), std::nullopt);
  }
  CHECK_EQ(d->save_requests({request(2, "c-1")})->size(), 1u);
  CHECK_EQ(d->save_replies({reply_to(1, "r", 0)})->at(0), caf::error{});
}

TEST_CASE("connections racing to save the same keys store each key once") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  constexpr int senders = 4;
  constexpr int keys = 200;
  std::vector<std::unique_ptr<message_driver>> drivers;
  for (int i = 0; i < senders; ++i)
    drivers.push_back(open_driver(path));
  std::vector<caf::expected<std::vector<save_outcome>>> results(
    senders, std::vector<save_outcome>{});
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < senders; ++i)
    threads.emplace_back([&, i] {
      std::vector<request_row> rows;
      for (int k = 0; k < keys; ++k)
        rows.push_back(request(int64_t{i} * keys + k + 1,
                               "c-" + std::to_string(k % 7),
                               "key " + std::to_string(k)));
      ++ready;
      while (ready < senders)
        std::this_thread::yield();
      // Small batches interleave the senders' transactions.
      std::vector<save_outcome> outcomes;
      for (size_t first = 0; first < rows.size(); first += 10) {
        std::vector<request_row> batch(rows.begin() + first,
                                       rows.begin() + first + 10);
        auto result = drivers[i]->save_requests(batch);
        if (!result) {
          results[i] = result.error();
          return;
        }
        outcomes.insert(outcomes.end(), result->begin(), result->end());
      }
      results[i] = std::move(outcomes);
    });
  for (auto& t : threads)
    t.join();
  std::map<int, int64_t> originals;
  for (int i = 0; i < senders; ++i) {
    REQUIRE_MESSAGE(results[i], message_of(results[i].error()));
    REQUIRE_EQ(results[i]->size(), static_cast<size_t>(keys));
    for (int k = 0; k < keys; ++k) {
      auto& outcome = (*results[i])[k];
      auto [pos, added] = originals.emplace(k, outcome.request_id);
      CHECK_EQ(outcome.request_id, pos->second);
      CHECK_EQ(outcome.duplicate, outcome.request_id != i * keys + k + 1);
    }
  }
  CHECK_EQ(query(path, "SELECT COUNT(*) FROM cluster_requests"),
           strings{std::to_string(keys)});
}

} // TEST_SUITE
