#include "multiprocess/freeze.hpp"

#include <csignal>
#include <fstream>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

namespace caf_cluster::multiprocess {

namespace {

// Field 3 of /proc/<pid>/stat, after the parenthesised command name.
bool stopped(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size()
         && text[close + 2] == 'T';
}

bool await_stopped(pid_t pid) {
  for (int i = 0; i < 2000; ++i) {
    if (stopped(pid))
      return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// Another writer can begin at once: nobody holds the file's write lock.
bool sqlite_write_lock_free(const std::string& uri) {
  auto path = uri.substr(uri.find(':') + 1);
  path = path.substr(0, path.find('?'));
  try {
    SQLite::Database file{path, SQLite::OPEN_READWRITE, 200};
    file.exec("BEGIN IMMEDIATE");
    file.exec("ROLLBACK");
    return true;
  } catch (const SQLite::Exception& ex) {
    if (ex.getErrorCode() == SQLITE_BUSY || ex.getErrorCode() == SQLITE_LOCKED)
      return false;
    throw;
  }
}

// The runtime's transactions never wait for their own process between two
// statements for long: a session of this cluster idle inside one for 200 ms
// belongs to the stopped process.
bool postgres_sessions_free(const std::string& schema) {
  std::this_thread::sleep_for(250ms);
  auto out = run_sql("SELECT count(*) FROM pg_stat_activity"
                     " WHERE application_name = 'caf-cluster:"
                     + schema
                     + "' AND state LIKE 'idle in transaction%'"
                       " AND now() - state_change > interval '200 ms'");
  return out.rfind("0", 0) == 0;
}

} // namespace

bool freeze_outside_transaction(process& proc, const test_storage& db,
                                int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    proc.signal(SIGSTOP);
    if (!await_stopped(proc.pid()))
      return false;
    if (db.schema().empty() ? sqlite_write_lock_free(db.uri())
                            : postgres_sessions_free(db.schema()))
      return true;
    proc.signal(SIGCONT);
    std::this_thread::sleep_for(std::chrono::milliseconds{10 + 7 * attempt});
  }
  return false;
}

} // namespace caf_cluster::multiprocess
