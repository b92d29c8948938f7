// A runner's database file as a local user or an accident leaves it: the file
// and its WAL are created owner-only; a damaged file stops the runner at
// start (non-zero exit, SQLite's words and the file named, no ready line); a
// file of another application is refused by a runner and by cluster-ctl,
// which leave its bytes as they were.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <SQLiteCpp/Database.h>

#include "common/file_bytes.hpp"
#include "multiprocess/cluster.hpp"

using namespace caf_cluster::multiprocess;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

using caf_cluster::test_files::bytes_of;
using caf_cluster::test_files::mode_of;
using caf_cluster::test_files::overwrite;

// Runs a runner on `storage` that must not start.
run_result failed_start(const std::string& storage) {
  return run(programs::counter_node,
             {"--host", "127.0.0.1", "--port", std::to_string(pick_free_port()),
              "--storage", storage},
             20s);
}

// A database a runner made and left cleanly (its WAL checkpointed).
std::string used_database(const temp_dir& dir) {
  auto path = dir.file("cluster.db");
  process_group procs;
  auto r = start_node(procs, "sqlite:" + path);
  r.proc->signal(SIGTERM);
  auto status = r.proc->wait(clock_type::now() + 15s);
  REQUIRE_MESSAGE(status, "the runner did not stop on SIGTERM");
  REQUIRE(status->exited_with(0));
  std::error_code ec;
  std::filesystem::remove(path + "-wal", ec);
  std::filesystem::remove(path + "-shm", ec);
  return path;
}

// Checks that a runner refused to start and said why, naming `path`.
void check_refused(const run_result& res, const std::string& path,
                   const std::string& why) {
  REQUIRE_MESSAGE(res.status, "the runner kept running on a bad file");
  CHECK_MESSAGE(res.status->exited_with(1),
                res.status->to_string() << ", stderr: " << res.err);
  CHECK_MESSAGE(!contains(res.out, "ready"), res.out);
  CHECK_MESSAGE(contains(res.err, "\"" + path + "\""), res.err);
  CHECK_MESSAGE(contains(res.err, why), res.err);
  MESSAGE("refused: " << res.err);
}

} // namespace

TEST_SUITE("multiprocess.storage_file") {

  TEST_CASE("a runner creates its database and WAL readable by the owner "
            "only") {
    temp_dir dir;
    auto path = dir.file("cluster.db");
    process_group procs;
    // Even a umask that lets everyone read must not expose the file.
    auto old = ::umask(0);
    auto r = start_node(procs, "sqlite:" + path);
    ::umask(old);
    CHECK_EQ(mode_of(path), 0600u);
    CHECK_EQ(mode_of(path + "-wal"), 0600u);
    CHECK_EQ(mode_of(path + "-shm"), 0600u);
    r.proc->signal(SIGTERM);
    auto status = r.proc->wait(clock_type::now() + 15s);
    REQUIRE(status);
    CHECK(status->exited_with(0));
    // No warning about its own file.
    CHECK_MESSAGE(!contains(r.proc->err(), "readable or writable by other"),
                  r.proc->err());
  }

  TEST_CASE("a runner on a world-readable database warns about it") {
    temp_dir dir;
    auto path = used_database(dir);
    ::chmod(path.c_str(), 0644);
    process_group procs;
    auto r = start_node(procs, "sqlite:" + path);
    r.proc->signal(SIGTERM);
    REQUIRE(r.proc->wait(clock_type::now() + 15s));
    CHECK_EQ(mode_of(path), 0644u);
    CHECK_MESSAGE(contains(r.proc->err(), path + " (mode 0644) is readable or "
                                                 "writable by other users"),
                  r.proc->err());
  }

  TEST_CASE("a database damaged in its pages stops the runner at start") {
    temp_dir dir;
    auto path = used_database(dir);
    auto size = std::filesystem::file_size(path);
    REQUIRE_GE(size, 8u * 4096u);
    // Garbage over the middle half of the pages; the header stays intact.
    auto from = (size / 4 / 4096) * 4096;
    overwrite(path, static_cast<std::streamoff>(from),
              std::string(size / 2, '\xa5'));
    auto res = failed_start("sqlite:" + path);
    check_refused(res, path, "storage: corrupt (cannot open SQLite storage ");
    // SQLite's words: from the check, or from the first read of a bad page.
    CHECK_MESSAGE((contains(res.err, "the file is damaged (PRAGMA quick_check: ")
                   || contains(res.err, "database disk image is malformed")),
                  res.err);
    // One line.
    CHECK_MESSAGE(is_one_line(res.err), res.err);
  }

  TEST_CASE("a database with a damaged header stops the runner at start") {
    temp_dir dir;
    auto path = used_database(dir);
    overwrite(path, 0, std::string(100, 'x'));
    check_refused(failed_start("sqlite:" + path), path,
                  "file is not a database");
  }

  TEST_CASE("another application's database is refused by a runner and by "
            "cluster-ctl, byte for byte unchanged") {
    temp_dir dir;
    auto path = dir.file("app.db");
    {
      SQLite::Database db{path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
      db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
      db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
      db.exec("INSERT INTO invoices VALUES (1, 9.5)");
    }
    auto before = bytes_of(path);
    check_refused(failed_start("sqlite:" + path), path,
                  "another application's tables (customers, invoices)");
    CHECK(bytes_of(path) == before);
    for (const char* command : {"runners", "shards", "pending"}) {
      CAPTURE(command);
      auto res = run(programs::cluster_ctl,
                     {command, "--storage", "sqlite:" + path}, 10s);
      REQUIRE(res.status);
      CHECK_FALSE(res.status->exited_with(0));
      CHECK_MESSAGE(contains(res.err, "another application's tables"),
                    res.err);
      CHECK(bytes_of(path) == before);
    }
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
    // Told to share it, a runner starts and adds its tables beside them.
    process_group procs;
    auto r = start_node(procs, "sqlite:" + path + "?share=1");
    r.proc->signal(SIGTERM);
    REQUIRE(r.proc->wait(clock_type::now() + 15s));
    SQLite::Database db{path, SQLite::OPEN_READONLY};
    CHECK_EQ(db.execAndGet("SELECT COUNT(*) FROM invoices").getInt(), 1);
    CHECK(db.tableExists("cluster_runners"));
  }

  TEST_CASE("cluster-ctl runners never writes to a cluster's database") {
    temp_dir dir;
    auto path = used_database(dir);
    auto before = bytes_of(path);
    auto res = run(programs::cluster_ctl,
                   {"runners", "--storage", "sqlite:" + path}, 10s);
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(0), res.err);
    CHECK(bytes_of(path) == before);
  }
}
