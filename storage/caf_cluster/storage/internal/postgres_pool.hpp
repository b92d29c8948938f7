// The connections one runner's PostgreSQL drivers share: at most
// `?pool=N` of them, made on demand, handed out one caller at a time, and
// thrown away when they break (after a server restart every idle one is
// suspect, so all idle ones go). libpqxx appears only in internal headers and
// the backends' .cpp files.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/storage_uri.hpp"

namespace caf_cluster::storage::internal {

/// Reads the password in `path`: its first line, without the line break.
/// @returns the password; `errc::invalid_argument` naming the path when the
///          file is missing, not a regular file, or accessible by group or
///          others (as libpq demands of `~/.pgpass`), or empty.
caf::expected<std::string> read_password_file(const std::string& path);

/// Returns the libpq connection string for `loc` with `password` (none when
/// empty, so that libpq looks at `PGPASSWORD` and its password file).
/// Holds the password: never log it.
std::string postgres_conninfo(const postgres_location& loc,
                              const std::string& password);

/// A bounded set of connections to one database.
class postgres_pool {
public:
  /// Prepares a new connection (statements, session settings); may throw.
  using setup_fn = std::function<void(pqxx::connection&)>;

  /// A borrowed connection, returned to the pool when destroyed unless
  /// `discard` was called.
  class lease {
  public:
    lease(postgres_pool* pool, std::unique_ptr<pqxx::connection> conn)
      : pool_(pool), conn_(std::move(conn)) {
      // nop
    }

    lease(lease&&) noexcept = default;

    lease& operator=(lease&&) = delete;

    ~lease();

    /// Returns the connection.
    pqxx::connection& operator*() const noexcept {
      return *conn_;
    }

    /// Returns the connection.
    pqxx::connection* operator->() const noexcept {
      return conn_.get();
    }

    /// Drops the connection instead of returning it (it broke).
    void discard() noexcept;

  private:
    postgres_pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  /// Makes a pool for `loc`, connecting with `conninfo` (see
  /// `postgres_conninfo`); no connection is made yet.
  postgres_pool(const postgres_location& loc, std::string conninfo);

  ~postgres_pool();

  postgres_pool(const postgres_pool&) = delete;

  postgres_pool& operator=(const postgres_pool&) = delete;

  /// Adds a step that every new connection runs before its first use.
  void add_setup(setup_fn f);

  /// Borrows an idle connection or makes one; waits up to the connect
  /// timeout when all `pool_size` connections are lent out.
  /// @returns the connection; `errc::io_error` naming the server when a
  ///          connection cannot be made; `errc::busy` when none became free.
  caf::expected<lease> borrow();

  /// Drops every idle connection (a broken one suggests a server restart).
  void discard_idle();

  /// Returns the process ids of the server backends of the idle connections
  /// (for tests that cut connections).
  std::vector<int> idle_backend_pids();

  /// Returns how the server appears in messages: `user@host:port/db`.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Returns the quoted schema, for SQL text.
  const std::string& schema() const noexcept {
    return schema_;
  }

  /// Returns the location the pool connects to.
  const postgres_location& location() const noexcept {
    return loc_;
  }

private:
  void give_back(std::unique_ptr<pqxx::connection> conn);

  void forget_one();

  caf::expected<std::unique_ptr<pqxx::connection>> connect();

  postgres_location loc_;
  std::string conninfo_;
  std::string name_;
  std::string schema_;
  std::vector<setup_fn> setup_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t lent_ = 0;
};

} // namespace caf_cluster::storage::internal
