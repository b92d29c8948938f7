#include "caf_cluster/storage/internal/postgres_transaction.hpp"

#include <chrono>
#include <random>
#include <thread>

namespace caf_cluster::storage::internal {

commit_fate postgres_commit_fate(postgres_pool& pool, int64_t txid) {
  if (txid == 0)
    return commit_fate::unknown;
  // A backend that lost its client mid-commit finishes the commit on its
  // own; 40 looks 50 ms apart give it two seconds.
  for (int i = 0; i < 40; ++i) {
    if (i > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    auto conn = pool.borrow();
    if (!conn)
      continue;
    try {
      pqxx::nontransaction tx{**conn};
      auto row = tx.exec_params("SELECT txid_status($1)", txid)[0];
      if (row[0].is_null())
        return commit_fate::unknown;
      auto status = row[0].as<std::string>();
      if (status == "committed")
        return commit_fate::committed;
      if (status == "aborted")
        return commit_fate::aborted;
    } catch (const std::exception&) {
      conn->discard();
    }
  }
  return commit_fate::unknown;
}

bool postgres_connection_lost(const std::exception& ex,
                              const pqxx::connection& conn) {
  if (dynamic_cast<const pqxx::broken_connection*>(&ex) != nullptr)
    return true;
  if (auto sql = dynamic_cast<const pqxx::sql_error*>(&ex)) {
    // Class 08: connection exceptions; 57P01..57P03: the server shuts down,
    // terminated the backend (pg_terminate_backend), or cannot connect now.
    const auto& state = sql->sqlstate();
    if (state.compare(0, 2, "08") == 0 || state == "57P01"
        || state == "57P02" || state == "57P03")
      return true;
  }
  return !conn.is_open();
}

std::string postgres_message(const std::string& text) {
  std::string result;
  bool in_break = false;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      in_break = true;
      continue;
    }
    if (in_break && (c == ' ' || c == '\t'))
      continue;
    if (in_break && !result.empty())
      result += ' ';
    in_break = false;
    result += c;
  }
  while (!result.empty() && result.back() == ' ')
    result.pop_back();
  return result;
}

caf::error postgres_error(const std::exception& ex, const std::string& what,
                          const postgres_pool& pool) {
  auto text = what + " on PostgreSQL at " + pool.name() + ": "
              + postgres_message(ex.what());
  if (dynamic_cast<const pqxx::transaction_rollback*>(&ex) != nullptr)
    return caf::make_error(errc::busy,
                           std::move(text) + " (gave up after "
                             + std::to_string(postgres_max_attempts)
                             + " attempts)");
  return caf::make_error(errc::io_error, std::move(text));
}

void postgres_backoff(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  auto cap = 1 << std::min(attempt, 6);
  std::uniform_int_distribution<int> pick{cap * 500, cap * 1000};
  std::this_thread::sleep_for(std::chrono::microseconds{pick(rng)});
}

} // namespace caf_cluster::storage::internal
