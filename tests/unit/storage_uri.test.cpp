// The `cluster.storage` syntax (`memory` | `sqlite:<path>`) and the storage
// error category: what a user may write, and what they see when it is wrong.
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
    {"postgres://localhost/db", "unknown backend"},
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
               + "; expected \"memory\" or \"sqlite:<path>\"");
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
