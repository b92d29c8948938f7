// How a PostgreSQL backend runs one driver operation: on a pooled
// connection, in a READ COMMITTED transaction for writes (the operations take
// the row locks they need, see the drivers) or autocommitted statements for
// reads; retried on serialization failures and deadlocks (bounded, with a
// small back-off), on a fresh connection when one broke before its commit,
// and with the commit's fate looked up by transaction id when the connection
// broke during the commit, so that no write is lost or applied twice.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/internal/postgres_pool.hpp"

namespace caf_cluster::storage::internal {

/// How many times one operation is tried before it gives up with
/// `errc::busy` (serialization failures, deadlocks) or `errc::io_error`.
constexpr int postgres_max_attempts = 8;

/// What an attempt knows about the attempts before it.
struct postgres_attempt {
  /// Whether an earlier attempt's commit may have happened: its connection
  /// broke during the commit and the server could not say. Operations that
  /// cannot tell their own earlier write from another's refuse to run again
  /// (`transact_state`); the others accept finding their own rows.
  bool maybe_committed = false;
};

/// The fate of a transaction whose commit was interrupted.
enum class commit_fate { committed, aborted, unknown };

/// Asks the server what became of transaction `txid` (after a broken
/// commit), waiting up to two seconds while it is still in progress.
commit_fate postgres_commit_fate(postgres_pool& pool, int64_t txid);

/// Returns whether `ex`, thrown while `conn` was in use, means that the
/// connection is gone (broken, or terminated by the server).
bool postgres_connection_lost(const std::exception& ex,
                              const pqxx::connection& conn);

/// Returns libpq's or the server's message `text` on one line: line breaks
/// and the indentation after them become one space, trailing space goes.
std::string postgres_message(const std::string& text);

/// Returns the storage error for `ex` thrown while doing `what` on `pool`:
/// `errc::busy` for serialization failures and deadlocks, `errc::io_error`
/// otherwise, naming the server (never the password).
caf::error postgres_error(const std::exception& ex, const std::string& what,
                          const postgres_pool& pool);

/// Sleeps a little before attempt `attempt` (1, 2, ...): 1 ms doubling up to
/// 64 ms, with jitter, so that racing writers do not collide again.
void postgres_backoff(int attempt);

/// Returns whether an operation that returned `x` succeeded.
inline bool postgres_succeeded(const caf::error& x) {
  return !x;
}

/// Returns whether an operation that returned `x` succeeded.
template <class T>
bool postgres_succeeded(const caf::expected<T>& x) {
  return static_cast<bool>(x);
}

/// Runs `f(tx, attempt)` on a connection of `pool`: in one READ COMMITTED
/// transaction that commits only if `f` succeeds when `write`, else on an
/// autocommitting `pqxx::nontransaction`. Retries as the file comment says.
/// @returns the result of `f`, or the storage error for `what`.
template <class F>
auto run_postgres(postgres_pool& pool, const std::string& what, bool write,
                  F f) -> decltype(f(std::declval<pqxx::transaction_base&>(),
                                     std::declval<const postgres_attempt&>())) {
  using result_type = decltype(f(std::declval<pqxx::transaction_base&>(),
                                 std::declval<const postgres_attempt&>()));
  postgres_attempt info;
  caf::error last;
  int lost = 0;
  for (int attempt = 0; attempt < postgres_max_attempts; ++attempt) {
    if (attempt > 0)
      postgres_backoff(attempt);
    auto conn = pool.borrow();
    if (!conn)
      return std::move(conn.error());
    std::optional<result_type> result;
    int64_t txid = 0;
    try {
      if (!write) {
        pqxx::nontransaction tx{**conn};
        return f(tx, info);
      }
      pqxx::work tx{**conn};
      txid = tx.exec("SELECT txid_current()")[0][0].as<int64_t>();
      result.emplace(f(tx, info));
      if (!postgres_succeeded(*result))
        return std::move(*result);
      tx.commit();
      return std::move(*result);
    } catch (const pqxx::in_doubt_error& ex) {
      conn->discard();
      pool.discard_idle();
      switch (postgres_commit_fate(pool, txid)) {
        case commit_fate::committed:
          if (result)
            return std::move(*result);
          break;
        case commit_fate::aborted:
          break;
        case commit_fate::unknown:
          info.maybe_committed = true;
          break;
      }
      last = postgres_error(ex, what, pool);
    } catch (const pqxx::transaction_rollback& ex) {
      last = postgres_error(ex, what, pool);
    } catch (const std::exception& ex) {
      if (!postgres_connection_lost(ex, **conn))
        return postgres_error(ex, what, pool);
      // Nothing was committed: trying again on a new connection is safe.
      conn->discard();
      pool.discard_idle();
      last = postgres_error(ex, what, pool);
      if (++lost > 2)
        return last;
    } catch (...) {
      return caf::make_error(errc::io_error,
                             what + " on PostgreSQL at " + pool.name()
                               + ": a non-standard exception");
    }
  }
  return last;
}

} // namespace caf_cluster::storage::internal
