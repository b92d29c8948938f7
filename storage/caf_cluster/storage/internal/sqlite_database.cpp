#include "caf_cluster/storage/internal/sqlite_database.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>

#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster::storage::internal {

namespace {

caf::error open_error(const std::string& path, const std::string& why) {
  return caf::make_error(errc::open_failed,
                         "cannot open SQLite storage \"" + path + "\": " + why);
}

// Switching to WAL needs an exclusive lock, and SQLite reports SQLITE_BUSY for
// it at once instead of calling the busy handler (seen with 8 connections
// opening a fresh file together). So we wait here, as long as the busy
// timeout would have waited. Returns the journal mode in effect.
std::string enable_wal(SQLite::Database& db, int32_t busy_timeout_ms) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::milliseconds{busy_timeout_ms};
  for (;;) {
    try {
      return db.execAndGet("PRAGMA journal_mode=WAL").getString();
    } catch (const SQLite::Exception& ex) {
      if ((ex.getErrorCode() & 0xff) != SQLITE_BUSY || clock::now() >= deadline)
        throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
}

// SQLite's own busy handler sleeps 1, 2, 5, 10 ... 50 ms between attempts,
// while another runner's commit holds the write lock for well under a
// millisecond: with two runners on one file most of a commit's time went to
// those sleeps. This one retries after 50 us, backing off to 1 ms, until the
// busy timeout (carried in `ctx`) has passed since the first attempt.
int busy_wait(void* ctx, int count) {
  using clock = std::chrono::steady_clock;
  thread_local clock::time_point first;
  auto now = clock::now();
  if (count == 0)
    first = now;
  auto timeout = std::chrono::milliseconds{reinterpret_cast<intptr_t>(ctx)};
  if (now - first >= timeout)
    return 0;
  using std::chrono::microseconds;
  auto pause = count < 40    ? microseconds{50}
               : count < 200 ? microseconds{200}
                             : microseconds{1000};
  std::this_thread::sleep_for(pause);
  return 1;
}

// Runs inside the caller's IMMEDIATE transaction.
caf::error migrate(SQLite::Database& db, const std::string& path,
                   const std::string& history_table,
                   const std::vector<sqlite_migration>& migrations) {
  db.exec("CREATE TABLE IF NOT EXISTS " + history_table
          + " (version INTEGER PRIMARY KEY NOT NULL,"
            " name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
  int64_t current = 0;
  {
    SQLite::Statement query{
      db, "SELECT COALESCE(MAX(version), 0) FROM " + history_table};
    query.executeStep();
    current = query.getColumn(0).getInt64();
  }
  auto latest = migrations.empty() ? int64_t{0} : migrations.back().version;
  if (current > latest)
    return open_error(path,
                      "its schema version " + std::to_string(current) + " in "
                        + history_table
                        + " is newer than this release supports ("
                        + std::to_string(latest) + ")");
  SQLite::Statement record{
    db, "INSERT INTO " + history_table + " (version, name) VALUES (?, ?)"};
  for (const auto& step : migrations) {
    if (step.version <= current)
      continue;
    for (const auto& sql : step.statements)
      db.exec(sql);
    record.bind(1, step.version);
    record.bind(2, step.name);
    record.exec();
    record.reset();
  }
  return {};
}

// Creates `path` readable and writable by its owner only, before SQLite
// creates it with the process's umask (0644 by default: every local user
// could read every payload). SQLite gives the WAL and shared-memory files
// the mode of the database file. Returns whether this call created it: it
// may have appeared meanwhile, and where it cannot be created SQLite fails
// next with its own message.
bool create_private_file(const std::string& path) {
  auto fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                   S_IRUSR | S_IWUSR);
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
}

// The WAL and shared-memory files of a file we created: owner only, also if
// an older SQLite created them with the umask.
void restrict_companions(const std::string& path) {
  for (const char* suffix : {"-wal", "-shm"})
    ::chmod((path + suffix).c_str(), S_IRUSR | S_IWUSR);
}

// A damaged file must be refused at start: otherwise a runner registers,
// claims to be ready and then fails every call that reads a bad page.
caf::error check_integrity(SQLite::Database& db, const std::string& path) {
  SQLite::Statement query{db, "PRAGMA quick_check(5)"};
  std::string problems;
  while (query.executeStep()) {
    auto text = query.getColumn(0).getString();
    if (text == "ok")
      return {};
    // One row may hold several lines: the error stays one line.
    std::string::size_type pos = 0;
    while (pos <= text.size()) {
      auto end = std::min(text.find('\n', pos), text.size());
      auto line = text.substr(pos, end - pos);
      if (!line.empty() && line != "*** in database main ***")
        problems += (problems.empty() ? "" : "; ") + line;
      pos = end + 1;
    }
  }
  return caf::make_error(errc::corrupt, "cannot open SQLite storage \"" + path
                                          + "\": the file is damaged "
                                            "(PRAGMA quick_check: "
                                          + problems + ")");
}

bool is_ours(const std::string& table) {
  auto ends_with = [&](const std::string& suffix) {
    return table.size() >= suffix.size()
           && table.compare(table.size() - suffix.size(), suffix.size(),
                            suffix)
                == 0;
  };
  return table.rfind("cluster_", 0) == 0 && ends_with("_migrations");
}

// A file with tables but no schema history of ours belongs to another
// application: adding eleven tables to it (even from a tool that only
// looks) is refused unless sharing was asked for.
caf::error check_ours(SQLite::Database& db, const std::string& path,
                      bool share) {
  SQLite::Statement query{db, "SELECT name FROM sqlite_master"
                              " WHERE type = 'table'"
                              " AND name NOT LIKE 'sqlite_%' ORDER BY name"};
  std::vector<std::string> tables;
  while (query.executeStep()) {
    auto name = query.getColumn(0).getString();
    if (is_ours(name))
      return {};
    tables.push_back(std::move(name));
  }
  if (tables.empty() || share)
    return {};
  std::string names;
  for (size_t i = 0; i < tables.size() && i < 5; ++i)
    names += (i == 0 ? "" : ", ") + tables[i];
  if (tables.size() > 5)
    names += ", ... (" + std::to_string(tables.size()) + " tables)";
  return caf::make_error(errc::foreign_database,
                         "refusing SQLite storage \"" + path
                           + "\": it holds another application's tables ("
                           + names
                           + ") and none of caf-cluster's; use a file of its "
                             "own, or sqlite:"
                           + path + "?share=1 to add the cluster's tables");
}

// A connection that only reads cannot migrate: the file must already have
// this release's schema.
caf::error check_schema(SQLite::Database& db, const std::string& path,
                        const std::string& history_table,
                        const std::vector<sqlite_migration>& migrations) {
  if (!db.tableExists(history_table))
    return open_error(path, "it has no caf-cluster " + history_table
                              + " table (no runner used this file yet)");
  SQLite::Statement query{
    db, "SELECT COALESCE(MAX(version), 0) FROM " + history_table};
  query.executeStep();
  auto current = query.getColumn(0).getInt64();
  auto latest = migrations.empty() ? int64_t{0} : migrations.back().version;
  if (current != latest)
    return open_error(path, "its schema version " + std::to_string(current)
                              + " in " + history_table + " is not this "
                              + "release's (" + std::to_string(latest)
                              + "); a runner of this release upgrades it");
  return {};
}

} // namespace

caf::expected<std::unique_ptr<SQLite::Database>>
open_sqlite_database(const std::string& path, const sqlite_options& opts,
                     const std::string& history_table,
                     const std::vector<sqlite_migration>& migrations) {
  if (path.empty())
    return caf::make_error(errc::invalid_argument,
                           "the SQLite storage path must not be empty");
  if (opts.busy_timeout_ms < 0)
    return caf::make_error(errc::invalid_argument,
                           "the SQLite busy timeout must not be negative, got "
                             + std::to_string(opts.busy_timeout_ms) + " ms");
  std::error_code ec;
  auto exists = std::filesystem::exists(path, ec);
  if (!exists && (!opts.create_missing || opts.read_only))
    return caf::make_error(errc::open_failed,
                           "no database at " + path
                             + ": the file does not exist (a client never "
                               "creates one; check the path or start a "
                               "runner on it first)");
  auto created = !exists && create_private_file(path);
  try {
    // SQLiteCpp opens read-only unless told otherwise.
    auto flags = opts.read_only ? SQLite::OPEN_READONLY
                                : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
    auto db = std::make_unique<SQLite::Database>(path, flags,
                                                 opts.busy_timeout_ms);
    sqlite3_busy_handler(db->getHandle(), busy_wait,
                         reinterpret_cast<void*>(
                           static_cast<intptr_t>(opts.busy_timeout_ms)));
    if (opts.check_integrity)
      if (auto err = check_integrity(*db, path))
        return err;
    if (auto err = check_ours(*db, path, opts.share_file))
      return err;
    if (opts.read_only) {
      if (auto err = check_schema(*db, path, history_table, migrations))
        return err;
      return db;
    }
    auto mode = enable_wal(*db, opts.busy_timeout_ms);
    if (mode != "wal")
      return open_error(path,
                        "cannot switch to WAL journal mode (it stays in " + mode
                          + " mode)");
    db->exec("PRAGMA journal_size_limit="
             + std::to_string(opts.journal_size_limit_bytes));
    if (created)
      restrict_companions(path);
    db->exec(opts.synchronous_full ? "PRAGMA synchronous=FULL"
                                   : "PRAGMA synchronous=NORMAL");
    SQLite::Transaction tx{*db, SQLite::TransactionBehavior::IMMEDIATE};
    if (auto err = migrate(*db, path, history_table, migrations))
      return err;
    tx.commit();
    return db;
  } catch (const SQLite::Exception& ex) {
    auto code = ex.getErrorCode() & 0xff;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      return caf::make_error(errc::busy,
                             "cannot open SQLite storage \"" + path
                               + "\": " + ex.what());
    if (code == SQLITE_CORRUPT)
      return caf::make_error(errc::corrupt,
                             "cannot open SQLite storage \"" + path
                               + "\": " + ex.what());
    return open_error(path, ex.what());
  } catch (const std::exception& ex) {
    return open_error(path, ex.what());
  }
}

caf::error to_storage_error(const std::exception& ex, const std::string& what) {
  auto msg = what + ": " + ex.what();
  if (auto sql = dynamic_cast<const SQLite::Exception*>(&ex)) {
    // The low byte is the primary code, also of an extended code.
    switch (sql->getErrorCode() & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return caf::make_error(errc::busy, std::move(msg));
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return caf::make_error(errc::corrupt, std::move(msg));
      default:
        break;
    }
  }
  return caf::make_error(errc::io_error, std::move(msg));
}

statement_scope::statement_scope(SQLite::Statement& stmt) : stmt_(stmt) {
  stmt_.tryReset();
  stmt_.clearBindings();
}

statement_scope::~statement_scope() {
  stmt_.tryReset();
}

} // namespace caf_cluster::storage::internal
