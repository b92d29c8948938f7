#include "caf_cluster/storage/internal/postgres_pool.hpp"

#include <chrono>
#include <fstream>

#include <sys/stat.h>

#include <pqxx/except>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/internal/postgres_transaction.hpp"

namespace caf_cluster::storage::internal {

namespace {

// A conninfo value in single quotes, with quotes and backslashes escaped.
std::string quoted_value(const std::string& x) {
  std::string result = "'";
  for (char c : x) {
    if (c == '\'' || c == '\\')
      result += '\\';
    result += c;
  }
  return result + "'";
}

std::string first_line(const std::string& x) {
  auto end = x.find('\n');
  auto line = x.substr(0, end);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

} // namespace

caf::expected<std::string> read_password_file(const std::string& path) {
  auto refuse = [&](const std::string& why) {
    return caf::make_error(errc::invalid_argument,
                           "password file " + path + " " + why);
  };
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return refuse("does not exist or cannot be read");
  if (!S_ISREG(st.st_mode))
    return refuse("is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    return refuse(std::string{"is accessible by group or others (mode "} + mode
                  + "): allow its owner only (chmod 600)");
  }
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return refuse("cannot be read");
  std::string text{std::istreambuf_iterator<char>{in},
                   std::istreambuf_iterator<char>{}};
  auto password = first_line(text);
  if (password.empty())
    return refuse("is empty");
  return password;
}

std::string postgres_conninfo(const postgres_location& loc,
                              const std::string& password) {
  std::string result;
  auto add = [&](const char* key, const std::string& value) {
    result += key;
    result += '=';
    result += quoted_value(value);
    result += ' ';
  };
  add("host", loc.host);
  add("port", std::to_string(loc.port));
  add("dbname", loc.database);
  if (!loc.user.empty())
    add("user", loc.user);
  if (!password.empty())
    add("password", password);
  add("connect_timeout", std::to_string(loc.connect_timeout_s));
  add("application_name", "caf-cluster");
  // A dead server or a cut link must fail a call, never hang it: keepalives
  // find a silent peer, the user timeout unacknowledged writes.
  add("keepalives", "1");
  add("keepalives_idle", "5");
  add("keepalives_interval", "2");
  add("keepalives_count", "3");
  add("tcp_user_timeout",
      std::to_string(std::max(loc.connect_timeout_s, 10) * 1000));
  add("options", "-c statement_timeout="
                   + std::to_string(int64_t{loc.statement_timeout_s} * 1000)
                   + " -c client_min_messages=warning");
  return result;
}

postgres_pool::lease::~lease() {
  if (pool_ && conn_)
    pool_->give_back(std::move(conn_));
}

void postgres_pool::lease::discard() noexcept {
  if (pool_ && conn_) {
    conn_.reset();
    pool_->forget_one();
  }
}

postgres_pool::postgres_pool(const postgres_location& loc,
                             std::string conninfo)
  : loc_(loc), conninfo_(std::move(conninfo)) {
  name_ = (loc.user.empty() ? "" : loc.user + "@")
          + (loc.host.find(':') != std::string::npos ? "[" + loc.host + "]"
                                                     : loc.host)
          + ":" + std::to_string(loc.port) + "/" + loc.database;
  schema_ = "\"" + loc.schema + "\"";
}

postgres_pool::~postgres_pool() = default;

void postgres_pool::add_setup(setup_fn f) {
  std::lock_guard<std::mutex> guard{mtx_};
  setup_.push_back(std::move(f));
}

caf::expected<postgres_pool::lease> postgres_pool::borrow() {
  std::unique_lock<std::mutex> guard{mtx_};
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::seconds{loc_.connect_timeout_s};
  while (idle_.empty() && lent_ >= static_cast<size_t>(loc_.pool_size)) {
    if (cv_.wait_until(guard, deadline) == std::cv_status::timeout
        && idle_.empty() && lent_ >= static_cast<size_t>(loc_.pool_size))
      return caf::make_error(errc::busy,
                             "all " + std::to_string(loc_.pool_size)
                               + " connections to PostgreSQL at " + name_
                               + " stayed in use for "
                               + std::to_string(loc_.connect_timeout_s)
                               + " s (raise ?pool=N)");
  }
  ++lent_;
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return lease{this, std::move(conn)};
  }
  guard.unlock();
  auto conn = connect();
  if (!conn) {
    forget_one();
    return std::move(conn.error());
  }
  return lease{this, std::move(*conn)};
}

void postgres_pool::discard_idle() {
  std::vector<std::unique_ptr<pqxx::connection>> dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    dropped.swap(idle_);
  }
  // Closed outside the lock: closing may wait for the network.
}

std::vector<int> postgres_pool::idle_backend_pids() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<int> result;
  for (auto& conn : idle_)
    result.push_back(conn->backendpid());
  return result;
}

void postgres_pool::give_back(std::unique_ptr<pqxx::connection> conn) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    --lent_;
    if (conn->is_open())
      idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

void postgres_pool::forget_one() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    --lent_;
  }
  cv_.notify_one();
}

caf::expected<std::unique_ptr<pqxx::connection>> postgres_pool::connect() {
  std::vector<setup_fn> setup;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    setup = setup_;
  }
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    for (auto& f : setup)
      f(*conn);
    return conn;
  } catch (const std::exception& ex) {
    return caf::make_error(errc::io_error, "cannot connect to PostgreSQL at "
                                             + name_ + ": "
                                             + postgres_message(ex.what()));
  }
}

} // namespace caf_cluster::storage::internal
