// The `cluster.storage` syntax (`memory` | `sqlite:<path>` |
// `postgresql://...`) and the storage error category: what a user may write,
// and what they see when it is wrong.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "caf/actor_system_config.hpp"
#include "caf/atom.hpp"

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/storage_uri.hpp"

using caf_cluster::storage::parse_storage_uri;
using caf_cluster::storage::storage_uri;
namespace storage = caf_cluster::storage;

namespace {

std::string message_of(const caf::error& err) {
  if (err && err.context().size() == 1
      && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return "<no message: " + caf::to_string(err) + ">";
}

const std::string expected_forms
  = "; expected \"memory\", \"sqlite:<path>\" or "
    "\"postgresql://[USER@]HOST[:PORT]/DB[?OPTIONS]\"";

} // namespace

TEST_SUITE("caf_cluster.storage.storage_uri") {

TEST_CASE("memory") {
  auto x = parse_storage_uri("memory");
  REQUIRE(x);
  CHECK(x->type == storage_uri::kind::memory);
  CHECK_EQ(x->path, "");
  CHECK_EQ(to_string(*x), "memory");
}

TEST_CASE("sqlite with absolute and relative paths") {
  struct good {
    std::string text;
    std::string path;
  };
  std::vector<good> cases{
    {"sqlite:/tmp/x.db", "/tmp/x.db"},
    {"sqlite:x.db", "x.db"},
    {"sqlite:./data/cluster.db", "./data/cluster.db"},
    {"sqlite:/var/lib/my app/c.db", "/var/lib/my app/c.db"},
    {"sqlite:memory", "memory"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto x = parse_storage_uri(c.text);
    REQUIRE(x);
    CHECK(x->type == storage_uri::kind::sqlite);
    CHECK_EQ(x->path, c.path);
    CHECK_EQ(to_string(*x), c.text);
  }
}

TEST_CASE("refuses anything else, quoting the text") {
  struct bad {
    std::string text;
    std::string why;
  };
  std::vector<bad> cases{
    {"", "the location is empty"},
    {"sqlite:", "the path is empty"},
    {"sqlite", "unknown backend"},
    {"Memory", "unknown backend"},
    {" memory", "unknown backend"},
    {"memory ", "unknown backend"},
    {"memory:", "unknown backend"},
    {"SQLITE:/tmp/x.db", "unknown backend"},
    {"sqlite3:/tmp/x.db", "unknown backend"},
    {"postgres:/localhost/db", "unknown backend"},
    {"pgsql://localhost/db", "unknown backend"},
    {std::string{"sqlite:/tmp/x\0y.db", 18},
     "the path contains a NUL character"},
    {"sqlite:/tmp/x.db?share", "the only option after the path is ?share=1 "
                               "or ?share=0"},
    {"sqlite:/tmp/x.db?mode=ro", "the only option after the path is ?share=1 "
                                 "or ?share=0"},
    {"sqlite:?share=1", "the path is empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto x = parse_storage_uri(c.text);
    REQUIRE(!x);
    CHECK_EQ(x.error().category(), caf::atom("storage"));
    CHECK_EQ(x.error().code(),
             static_cast<uint8_t>(storage::errc::invalid_uri));
    CHECK_EQ(message_of(x.error()),
             "invalid storage location \"" + c.text + "\": " + c.why
               + expected_forms);
  }
}

TEST_CASE("sqlite with the share option") {
  auto shared = parse_storage_uri("sqlite:/tmp/app.db?share=1");
  REQUIRE(shared);
  CHECK_EQ(shared->path, "/tmp/app.db");
  CHECK(shared->share);
  CHECK_EQ(to_string(*shared), "sqlite:/tmp/app.db?share=1");
  auto unshared = parse_storage_uri("sqlite:/tmp/app.db?share=0");
  REQUIRE(unshared);
  CHECK_EQ(unshared->path, "/tmp/app.db");
  CHECK_FALSE(unshared->share);
  CHECK_EQ(to_string(*unshared), "sqlite:/tmp/app.db");
  CHECK(*unshared == *parse_storage_uri("sqlite:/tmp/app.db"));
  CHECK(*shared != *unshared);
}

TEST_CASE("postgresql with user, host, port and database") {
  auto x = parse_storage_uri("postgresql://app@db.example.org:6432/orders");
  REQUIRE(x);
  CHECK(x->type == storage_uri::kind::postgresql);
  CHECK_EQ(x->postgres.user, "app");
  CHECK_EQ(x->postgres.host, "db.example.org");
  CHECK_EQ(x->postgres.port, 6432);
  CHECK_EQ(x->postgres.database, "orders");
  CHECK_EQ(x->postgres.schema, "public");
  CHECK_EQ(x->postgres.pool_size, 4);
  CHECK_EQ(x->postgres.password_file, "");
  CHECK_EQ(x->postgres.connect_timeout_s, 5);
  CHECK_EQ(x->postgres.statement_timeout_s, 30);
  CHECK_EQ(to_string(*x), "postgresql://app@db.example.org:6432/orders");
  // The short scheme, the default port, no user (libpq picks one).
  auto y = parse_storage_uri("postgres://127.0.0.1/c");
  REQUIRE(y);
  CHECK(y->type == storage_uri::kind::postgresql);
  CHECK_EQ(y->postgres.user, "");
  CHECK_EQ(y->postgres.port, 5432);
  CHECK_EQ(to_string(*y), "postgresql://127.0.0.1:5432/c");
  auto v6 = parse_storage_uri("postgresql://u@[::1]:7000/d");
  REQUIRE(v6);
  CHECK_EQ(v6->postgres.host, "::1");
  CHECK_EQ(v6->postgres.port, 7000);
  CHECK_EQ(to_string(*v6), "postgresql://u@[::1]:7000/d");
  // %-escapes in the user and the database.
  auto escaped = parse_storage_uri("postgresql://a%40b@h/my%20db");
  REQUIRE(escaped);
  CHECK_EQ(escaped->postgres.user, "a@b");
  CHECK_EQ(escaped->postgres.database, "my db");
  CHECK_EQ(to_string(*escaped), "postgresql://a%40b@h:5432/my%20db");
  CHECK(*parse_storage_uri(to_string(*escaped)) == *escaped);
}

TEST_CASE("postgresql options") {
  auto x = parse_storage_uri(
    "postgresql://app@h:5432/db?schema=cluster_1&pool=16"
    "&password-file=/run/secrets/pg%20pw&connect-timeout=2"
    "&statement-timeout=0");
  REQUIRE(x);
  CHECK_EQ(x->postgres.schema, "cluster_1");
  CHECK_EQ(x->postgres.pool_size, 16);
  CHECK_EQ(x->postgres.password_file, "/run/secrets/pg pw");
  CHECK_EQ(x->postgres.connect_timeout_s, 2);
  CHECK_EQ(x->postgres.statement_timeout_s, 0);
  CHECK_EQ(to_string(*x),
           "postgresql://app@h:5432/db?schema=cluster_1&pool=16"
           "&password-file=/run/secrets/pg%20pw&connect-timeout=2"
           "&statement-timeout=0");
  CHECK(*parse_storage_uri(to_string(*x)) == *x);
  // Options at their defaults are not printed.
  auto y = parse_storage_uri("postgresql://app@h/db?schema=public&pool=4");
  REQUIRE(y);
  CHECK_EQ(to_string(*y), "postgresql://app@h:5432/db");
  CHECK(*y == *parse_storage_uri("postgres://app@h:5432/db"));
  CHECK(*y != *x);
}

TEST_CASE("postgresql refuses malformed locations, quoting them") {
  struct bad {
    std::string text;
    std::string why;
  };
  std::vector<bad> cases{
    {"postgresql://", "the database is missing (write /DB after the host)"},
    {"postgresql://h", "the database is missing (write /DB after the host)"},
    {"postgresql://h/", "the database name is empty or has a malformed "
                        "%-escape"},
    {"postgresql:///db", "the host is empty"},
    {"postgresql://u@/db", "the host is empty"},
    {"postgresql://@h/db", "the user name is empty or has a malformed "
                           "%-escape"},
    {"postgresql://h:/db", "the port after : is empty"},
    {"postgresql://h:0/db", "the port is not a number from 1 to 65535"},
    {"postgresql://h:65536/db", "the port is not a number from 1 to 65535"},
    {"postgresql://h:5x/db", "the port is not a number from 1 to 65535"},
    {"postgresql://[::1/db", "the IPv6 address lacks its closing ]"},
    {"postgresql://h/a/b", "the database name contains /"},
    {"postgresql://h/d%zz", "the database name is empty or has a malformed "
                            "%-escape"},
    {"postgresql://h/d%00", "the database name is empty or has a malformed "
                            "%-escape"},
    {"postgresql://h/db?pool", "option \"pool\" lacks =VALUE"},
    {"postgresql://h/db?pool=0", "pool=0 is not a whole number from 1 to 100"},
    {"postgresql://h/db?pool=101",
     "pool=101 is not a whole number from 1 to 100"},
    {"postgresql://h/db?pool=-1", "pool=-1 is not a whole number from 1 to 100"},
    {"postgresql://h/db?schema=Cluster",
     "schema=Cluster is not a schema name (lower-case letters, digits and _, "
     "not starting with a digit, at most 63 bytes)"},
    {"postgresql://h/db?schema=1x",
     "schema=1x is not a schema name (lower-case letters, digits and _, not "
     "starting with a digit, at most 63 bytes)"},
    {"postgresql://h/db?schema=a%22b",
     "schema=a\"b is not a schema name (lower-case letters, digits and _, "
     "not starting with a digit, at most 63 bytes)"},
    {"postgresql://h/db?connect-timeout=0",
     "connect-timeout=0 is not a whole number of seconds from 1 to 3600"},
    {"postgresql://h/db?statement-timeout=x",
     "statement-timeout=x is not a whole number of seconds from 0 to 86400"},
    {"postgresql://h/db?password-file=", "password-file= needs a path"},
    {"postgresql://h/db?pool=2&pool=3", "option pool is given twice"},
    {"postgresql://h/db?sslmode=require",
     "unknown option sslmode (known: schema, pool, password-file, "
     "connect-timeout, statement-timeout)"},
    {"postgresql://h/db?user=x&pool=2&timeout=3",
     "unknown options user, timeout (known: schema, pool, password-file, "
     "connect-timeout, statement-timeout)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto x = parse_storage_uri(c.text);
    REQUIRE(!x);
    CHECK(x.error() == storage::errc::invalid_uri);
    CHECK_EQ(message_of(x.error()),
             "invalid storage location \"" + c.text + "\": " + c.why
               + expected_forms);
  }
}

TEST_CASE("a password in a postgresql location is refused and not echoed") {
  for (std::string text : {"postgresql://app:s3cret@h:5432/db",
                           "postgres://app:s3cret@h:5432/db",
                           "postgresql://app:@h:5432/db"}) {
    CAPTURE(text);
    auto x = parse_storage_uri(text);
    REQUIRE(!x);
    CHECK(x.error() == storage::errc::invalid_uri);
    auto msg = message_of(x.error());
    CHECK(msg.find("s3cret") == std::string::npos);
    auto scheme = text.substr(0, text.find("//") + 2);
    CHECK_EQ(msg, "invalid storage location \"" + scheme
                    + "app@h:5432/db\": a password in the location is refused "
                      "(it would show in process lists and logs): set the "
                      "PGPASSWORD environment variable, name a file with "
                      "?password-file=PATH (readable by its owner only), or "
                      "use libpq's password file (~/.pgpass or PGPASSFILE)"
                    + expected_forms);
  }
}

TEST_CASE("equality") {
  storage_uri mem;
  storage_uri a{storage_uri::kind::sqlite, "a.db"};
  CHECK(mem == *parse_storage_uri("memory"));
  CHECK(a == *parse_storage_uri("sqlite:a.db"));
  CHECK(a != storage_uri{storage_uri::kind::sqlite, "b.db"});
  CHECK(a != mem);
}

} // TEST_SUITE

TEST_SUITE("caf_cluster.storage.errc") {

TEST_CASE("to_string names every code") {
  CHECK_EQ(to_string(storage::errc::invalid_uri), "invalid_uri");
  CHECK_EQ(to_string(storage::errc::open_failed), "open_failed");
  CHECK_EQ(to_string(storage::errc::io_error), "io_error");
  CHECK_EQ(to_string(storage::errc::busy), "busy");
  CHECK_EQ(to_string(storage::errc::corrupt), "corrupt");
  CHECK_EQ(to_string(storage::errc::fenced), "fenced");
  CHECK_EQ(static_cast<int>(storage::errc::invalid_uri), 1);
  CHECK_EQ(static_cast<int>(storage::errc::fenced), 6);
}

TEST_CASE("make_error uses the storage category") {
  auto err = caf::make_error(storage::errc::fenced, std::string{"shard 7"});
  CHECK_EQ(err.category(), storage::errc_category);
  CHECK_EQ(err.category(), caf::atom("storage"));
  CHECK_EQ(err.code(), static_cast<uint8_t>(storage::errc::fenced));
}

TEST_CASE("add_error_category renders code and context") {
  caf::actor_system_config cfg;
  storage::add_error_category(cfg);
  auto i = cfg.error_renderers.find(storage::errc_category);
  REQUIRE(i != cfg.error_renderers.end());
  auto err = caf::make_error(storage::errc::busy,
                             std::string{"database is locked"});
  CHECK_EQ(i->second(err.code(), err.category(), err.context()),
           "storage: busy (database is locked)");
  auto bare = caf::make_error(storage::errc::corrupt);
  CHECK_EQ(i->second(bare.code(), bare.category(), bare.context()),
           "storage: corrupt");
}

} // TEST_SUITE
