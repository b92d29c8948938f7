// What a SQLite storage file guards against: other local users (files are
// created owner-only), damage (refused at open with SQLite's words), another
// application's database (refused unless shared), tools that only look (they
// never write), and a WAL that grew under load (cut back after checkpoints).
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_file_mode.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "common/file_bytes.hpp"
#include "storage/sqlite_file.hpp"
#include "storage/temp_dir.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::message_of;
using caf_cluster::storage::test::temp_dir;

namespace {

constexpr int32_t spg = 300;
constexpr int64_t t0 = 10'000;
constexpr int64_t lease = 1000;

using caf_cluster::test_files::bytes_of;
using caf_cluster::test_files::mode_of;
using caf_cluster::test_files::overwrite;

uintmax_t size_of(const std::string& file) {
  std::error_code ec;
  auto n = std::filesystem::file_size(file, ec);
  return ec ? 0 : n;
}

// Sets the process's umask for one scope.
struct umask_scope {
  explicit umask_scope(mode_t mask) : old(::umask(mask)) {
  }
  ~umask_scope() {
    ::umask(old);
  }
  mode_t old;
};

request_row request(int64_t id, size_t payload_size) {
  request_row row;
  row.request_id = id;
  row.entity_type = "Counter";
  row.entity_id = "c-" + std::to_string(id);
  row.shard = "default:1";
  row.tag = "increment";
  row.payload = std::string(payload_size, 'p');
  row.headers = "h";
  row.primary_key = std::to_string(id);
  return row;
}

// A file another application made: two tables of its own.
std::string foreign_file(const temp_dir& dir) {
  auto path = dir.file("app.db");
  SQLite::Database db{path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
  db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
  db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  db.exec("INSERT INTO invoices VALUES (1, 9.5)");
  return path;
}

} // namespace

TEST_SUITE("storage.sqlite_file_safety") {

TEST_CASE("a new database and its WAL are readable by the owner only") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  // Even a umask that lets everyone read must not expose the file.
  umask_scope mask{0};
  auto storage = open_cluster_storage("sqlite:" + path);
  REQUIRE_MESSAGE(storage, message_of(storage.error()));
  REQUIRE(storage->runners->register_runner(runner_row{"a:1", 0, 1, {"g"}},
                                            spg, t0, lease));
  CHECK_EQ(mode_of(path), 0600u);
  CHECK_EQ(mode_of(path + "-wal"), 0600u);
  CHECK_EQ(mode_of(path + "-shm"), 0600u);
  CHECK_EQ(exposed_sqlite_files(path), std::vector<std::string>{});
}

TEST_CASE("an existing file keeps its mode and is reported when exposed") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  std::ofstream{path}.close();
  ::chmod(path.c_str(), 0644);
  auto d = make_sqlite_runner_driver(path);
  REQUIRE_MESSAGE(d, message_of(d.error()));
  CHECK_EQ(mode_of(path), 0644u);
  auto exposed = exposed_sqlite_files(path);
  REQUIRE_FALSE(exposed.empty());
  CHECK_EQ(exposed.front(), path + " (mode 0644)");
}

TEST_CASE("a file damaged in its pages is refused at open with SQLite's "
          "words") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  {
    auto d = test::opened(make_sqlite_message_driver(path));
    std::vector<request_row> rows;
    for (int64_t i = 1; i <= 200; ++i)
      rows.push_back(request(i, 1000));
    REQUIRE(d->save_requests(rows));
  }
  REQUIRE_GT(size_of(path), 40u * 4096u);
  // Garbage over a page in the middle: the header still reads fine, so
  // only a check of the pages finds it.
  overwrite(path, 20 * 4096, std::string(4096, '\xa5'));
  auto d = make_sqlite_runner_driver(path);
  REQUIRE_FALSE(d);
  CHECK(d.error() == errc::corrupt);
  auto text = message_of(d.error());
  CHECK_MESSAGE(text.find("\"" + path + "\"") != std::string::npos, text);
  // SQLite's words: from the check, or from the first read of a bad page.
  CHECK_MESSAGE((text.find("the file is damaged (PRAGMA quick_check: ")
                   != std::string::npos
                 || text.find("database disk image is malformed")
                      != std::string::npos),
                text);
  auto both = open_cluster_storage("sqlite:" + path);
  REQUIRE_FALSE(both);
  CHECK(both.error() == errc::corrupt);
}

TEST_CASE("a file with a damaged header is refused at open") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  REQUIRE(make_sqlite_runner_driver(path));
  overwrite(path, 0, std::string(100, 'x'));
  auto d = make_sqlite_runner_driver(path);
  REQUIRE_FALSE(d);
  CHECK(d.error() == errc::open_failed);
  CHECK_EQ(message_of(d.error()), "cannot open SQLite storage \"" + path
                                    + "\": file is not a database");
}

TEST_CASE("another application's database is refused unless shared") {
  temp_dir dir;
  auto path = foreign_file(dir);
  auto before = bytes_of(path);
  auto expected = "refusing SQLite storage \"" + path
                  + "\": it holds another application's tables (customers, "
                    "invoices) and none of caf-cluster's; use a file of its "
                    "own, or sqlite:"
                  + path + "?share=1 to add the cluster's tables";
  auto runners = make_sqlite_runner_driver(path);
  REQUIRE_FALSE(runners);
  CHECK(runners.error() == errc::foreign_database);
  CHECK_EQ(message_of(runners.error()), expected);
  auto messages = make_sqlite_message_driver(path);
  REQUIRE_FALSE(messages);
  CHECK(messages.error() == errc::foreign_database);
  auto both = open_cluster_storage("sqlite:" + path);
  REQUIRE_FALSE(both);
  CHECK(both.error() == errc::foreign_database);
  sqlite_options ro;
  ro.read_only = true;
  auto look = make_sqlite_runner_driver(path, ro);
  REQUIRE_FALSE(look);
  CHECK(look.error() == errc::foreign_database);
  CHECK(bytes_of(path) == before);
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  // Told to share it, the cluster's tables go in beside the others.
  auto shared = open_cluster_storage("sqlite:" + path + "?share=1");
  REQUIRE_MESSAGE(shared, message_of(shared.error()));
  CHECK(shared->runners->register_runner(runner_row{"a:1", 0, 1, {"g"}}, spg,
                                         t0, lease));
  CHECK_EQ(test::query(path, "SELECT COUNT(*) FROM invoices"),
           std::vector<std::string>{"1"});
  // Once it has our tables, it opens without being told again.
  CHECK(make_sqlite_runner_driver(path));
}

TEST_CASE("an empty file is ours to fill") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  std::ofstream{path}.close();
  CHECK(make_sqlite_runner_driver(path));
}

TEST_CASE("a read-only connection never creates, migrates or writes") {
  temp_dir dir;
  auto path = dir.file("cluster.db");
  sqlite_options ro;
  ro.read_only = true;
  auto missing = make_sqlite_runner_driver(path, ro);
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == errc::open_failed);
  CHECK_FALSE(std::filesystem::exists(path));
  // A file no runner used yet (no tables at all) is not migrated either.
  std::ofstream{path}.close();
  auto empty = make_sqlite_runner_driver(path, ro);
  REQUIRE_FALSE(empty);
  CHECK(empty.error() == errc::open_failed);
  CHECK_EQ(message_of(empty.error()),
           "cannot open SQLite storage \"" + path
             + "\": it has no caf-cluster cluster_runner_migrations table (no "
               "runner used this file yet)");
  CHECK_EQ(size_of(path), 0u);
  {
    auto writer = test::opened(make_sqlite_message_driver(path));
    auto runners = test::opened(make_sqlite_runner_driver(path));
    REQUIRE(runners->register_runner(runner_row{"a:1", 0, 1, {"g"}}, spg, t0,
                                     lease));
  }
  auto before = bytes_of(path);
  {
    auto look = test::opened(make_sqlite_runner_driver(path, ro));
    auto rows = look->all_runners();
    REQUIRE(rows);
    CHECK_EQ(rows->size(), 1u);
    CHECK_FALSE(look->register_runner(runner_row{"b:1", 0, 1, {"g"}}, spg, t0,
                                      lease));
    auto messages = test::opened(make_sqlite_message_driver(path, ro));
    CHECK(messages->pending_counts());
  }
  CHECK(bytes_of(path) == before);
}

// The WAL's sizes after a burst that a reader kept from being checkpointed:
// at its peak, once the load went on without the reader (automatic
// checkpoints), and after one more checkpoint and a small write.
struct wal_sizes {
  uintmax_t peak = 0;
  uintmax_t after_load = 0;
  uintmax_t after_checkpoint = 0;
};

wal_sizes wal_after_burst(const std::string& path, int64_t limit) {
  sqlite_options opts;
  opts.journal_size_limit_bytes = limit;
  auto d = test::opened(make_sqlite_message_driver(path, opts));
  int64_t next = 1;
  auto write_load = [&](int batches) {
    for (int b = 0; b < batches; ++b) {
      std::vector<request_row> rows;
      for (int i = 0; i < 16; ++i)
        rows.push_back(request(next++, 4000));
      REQUIRE(d->save_requests(rows));
    }
  };
  wal_sizes result;
  {
    // A reader that keeps its snapshot holds checkpoints back: the WAL
    // grows past SQLite's automatic checkpoint (about 4 MiB) meanwhile.
    SQLite::Database reader{path, SQLite::OPEN_READONLY};
    SQLite::Transaction snapshot{reader};
    reader.execAndGet("SELECT COUNT(*) FROM cluster_requests");
    write_load(150);
    result.peak = size_of(path + "-wal");
  }
  write_load(80);
  result.after_load = size_of(path + "-wal");
  {
    SQLite::Database other{path, SQLite::OPEN_READWRITE};
    other.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
  write_load(1);
  result.after_checkpoint = size_of(path + "-wal");
  MESSAGE("journal_size_limit " << limit << ": WAL peak " << result.peak
                                << " bytes, after the load "
                                << result.after_load
                                << ", after a checkpoint and a write "
                                << result.after_checkpoint);
  return result;
}

TEST_CASE("the WAL is cut back after checkpoints once it outgrew its limit") {
  temp_dir dir;
  CHECK_EQ(sqlite_options{}.journal_size_limit_bytes, 16 * 1024 * 1024);
  constexpr int64_t limit = 1024 * 1024;
  auto bounded = wal_after_burst(dir.file("bounded.db"), limit);
  REQUIRE_GT(bounded.peak, 8u * 1024u * 1024u);
  // Automatic checkpoints ran and the WAL started over, cut to the limit,
  // then regrew to at most the automatic checkpoint's size and a batch.
  CHECK_LT(bounded.after_load, 6u * 1024u * 1024u);
  CHECK_LE(bounded.after_checkpoint, static_cast<uintmax_t>(limit));
  // Without a limit (SQLite's default) the file keeps its peak size.
  auto unbounded = wal_after_burst(dir.file("unbounded.db"), -1);
  CHECK_GE(unbounded.after_checkpoint, unbounded.peak);
}

} // TEST_SUITE
