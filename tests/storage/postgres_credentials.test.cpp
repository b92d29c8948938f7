// Where the PostgreSQL drivers take a password from, and that it never shows:
// a password file readable by its owner only, the PGPASSWORD environment
// variable, and error messages that name the server but never the password.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/stat.h>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/storage/postgres_runner_driver.hpp"

#include "storage/postgres_server.hpp"
#include "storage/runner_rows_io.hpp"
#include "storage/temp_dir.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::message_of;

namespace {

/// Writes `text` to `path` with `mode`.
void write_file(const std::string& path, const std::string& text,
                mode_t mode) {
  {
    std::ofstream out{path, std::ios::trunc};
    out << text;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

/// Sets an environment variable for one scope and restores it.
class scoped_env {
public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (auto old = std::getenv(name)) {
      had_ = true;
      old_ = old;
    }
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }

  ~scoped_env() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

/// Keeps libpq from finding a password outside the test: no PGPASSWORD and a
/// password file that does not exist.
struct no_ambient_password {
  scoped_env password{"PGPASSWORD", nullptr};
  scoped_env file{"PGPASSFILE", "/nonexistent/caf-cluster-test-pgpass"};
};

} // namespace

TEST_SUITE("storage.postgres_credentials") {

TEST_CASE("a password file readable by others is refused and not read") {
  no_ambient_password env;
  test::postgres_schema schema;
  test::temp_dir dir;
  auto file = dir.file("pw");
  write_file(file, schema.password() + "\n", 0644);
  auto uri = schema.uri_without_password() + "&password-file=" + file;
  auto driver = make_postgres_runner_driver(uri);
  REQUIRE(!driver);
  CHECK(driver.error() == errc::invalid_argument);
  CHECK_EQ(message_of(driver.error()),
           "password file " + file
             + " is accessible by group or others (mode 0644): allow its "
               "owner only (chmod 600)");
  write_file(file, schema.password() + "\n", 0640);
  CHECK(make_postgres_runner_driver(uri).error() == errc::invalid_argument);
  // Owner-only: the first line is the password.
  write_file(file, schema.password() + "\nignored second line\n", 0600);
  auto opened = make_postgres_runner_driver(uri);
  REQUIRE_MESSAGE(opened, message_of(opened.error()));
  CHECK((*opened)->leases());
  write_file(file, schema.password(), 0400);
  CHECK(make_postgres_runner_driver(uri));
}

TEST_CASE("a missing, empty or non-regular password file is refused") {
  no_ambient_password env;
  test::postgres_schema schema;
  test::temp_dir dir;
  auto open_with = [&](const std::string& file) {
    auto driver = make_postgres_runner_driver(schema.uri_without_password()
                                              + "&password-file=" + file);
    REQUIRE(!driver);
    CHECK(driver.error() == errc::invalid_argument);
    return message_of(driver.error());
  };
  CHECK_EQ(open_with(dir.file("absent")),
           "password file " + dir.file("absent")
             + " does not exist or cannot be read");
  write_file(dir.file("empty"), "\n", 0600);
  CHECK_EQ(open_with(dir.file("empty")),
           "password file " + dir.file("empty") + " is empty");
  CHECK_EQ(open_with(dir.path().string()),
           "password file " + dir.path().string()
             + " is not a regular file");
}

TEST_CASE("PGPASSWORD gives the password when the location names none") {
  no_ambient_password env;
  test::postgres_schema schema;
  {
    scoped_env password{"PGPASSWORD", schema.password().c_str()};
    auto driver = make_postgres_runner_driver(schema.uri_without_password());
    REQUIRE_MESSAGE(driver, message_of(driver.error()));
    CHECK((*driver)->leases());
    // The same for both drivers on one pool.
    auto both = open_cluster_storage(schema.uri_without_password());
    REQUIRE_MESSAGE(both, message_of(both.error()));
    CHECK(both->messages->pending_counts());
  }
  // Without it the server refuses the login: an error naming the server.
  auto driver = make_postgres_runner_driver(schema.uri_without_password());
  REQUIRE(!driver);
  CHECK(driver.error() == errc::io_error);
  auto uri = parse_storage_uri(test::postgres_base_uri(schema.dir()));
  REQUIRE(uri);
  auto server = uri->postgres.user + "@" + uri->postgres.host + ":"
                + std::to_string(uri->postgres.port) + "/"
                + uri->postgres.database;
  CHECK_EQ(message_of(driver.error()).rfind("cannot connect to PostgreSQL at "
                                            + server + ": ",
                                            0),
           0u);
}

TEST_CASE("a wrong password fails the login and never shows") {
  no_ambient_password env;
  test::postgres_schema schema;
  test::temp_dir dir;
  const std::string wrong = "not-the-password-7f3a9c";
  write_file(dir.file("pw"), wrong, 0600);
  auto driver = make_postgres_runner_driver(
    schema.uri_without_password() + "&password-file=" + dir.file("pw"));
  REQUIRE(!driver);
  CHECK(driver.error() == errc::io_error);
  auto msg = message_of(driver.error());
  CHECK(msg.find("password authentication failed") != std::string::npos);
  CHECK(msg.find(wrong) == std::string::npos);
  CHECK(msg.find(schema.password()) == std::string::npos);
  // Neither does the right one, in any message of a working driver.
  auto ok = make_postgres_runner_driver(schema.uri());
  REQUIRE(ok);
  auto err = (*ok)->register_runner(runner_row{}, 300, 1, 1);
  CHECK(message_of(err.error()).find(schema.password()) == std::string::npos);
}

TEST_CASE("an unreachable server is an io_error naming host and port") {
  test::temp_dir dir;
  // Port 1 on 127.0.0.1: nothing listens there, the refusal is immediate.
  auto driver = make_postgres_runner_driver(
    "postgresql://someone@127.0.0.1:1/db?connect-timeout=2");
  REQUIRE(!driver);
  CHECK(driver.error() == errc::io_error);
  auto msg = message_of(driver.error());
  CHECK_EQ(msg.rfind("cannot connect to PostgreSQL at someone@127.0.0.1:1/db: ",
                     0),
           0u);
  CHECK(msg.find('\n') == std::string::npos);
  auto both = open_cluster_storage("postgres://someone@127.0.0.1:1/db");
  REQUIRE(!both);
  CHECK(both.error() == errc::io_error);
}

} // TEST_SUITE
