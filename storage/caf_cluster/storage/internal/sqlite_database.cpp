#include "caf_cluster/storage/internal/sqlite_database.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <thread>

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
  if (!opts.create_missing) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return caf::make_error(errc::open_failed,
                             "no database at " + path
                               + ": the file does not exist (a client never "
                                 "creates one; check the path or start a "
                                 "runner on it first)");
  }
  try {
    // SQLiteCpp opens read-only unless told otherwise.
    auto flags = SQLite::OPEN_READWRITE
      | (opts.create_missing ? SQLite::OPEN_CREATE : 0);
    auto db = std::make_unique<SQLite::Database>(path, flags,
                                                 opts.busy_timeout_ms);
    sqlite3_busy_handler(db->getHandle(), busy_wait,
                         reinterpret_cast<void*>(
                           static_cast<intptr_t>(opts.busy_timeout_ms)));
    auto mode = enable_wal(*db, opts.busy_timeout_ms);
    if (mode != "wal")
      return open_error(path,
                        "cannot switch to WAL journal mode (it stays in " + mode
                          + " mode)");
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
