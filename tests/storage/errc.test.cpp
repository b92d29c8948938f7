// The storage error codes that runner storage added: their values are part of
// the wire format (they never move) and their names appear in rendered errors.
#include <doctest/doctest.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "caf_cluster/storage/errc.hpp"

namespace storage = caf_cluster::storage;

TEST_SUITE("storage.errc") {

TEST_CASE("runner storage codes follow the earlier ones") {
  CHECK_EQ(static_cast<int>(storage::errc::invalid_argument), 7);
  CHECK_EQ(static_cast<int>(storage::errc::invalid_config), 8);
  CHECK_EQ(static_cast<int>(storage::errc::exhausted), 9);
  CHECK_EQ(to_string(storage::errc::invalid_argument), "invalid_argument");
  CHECK_EQ(to_string(storage::errc::invalid_config), "invalid_config");
  CHECK_EQ(to_string(storage::errc::exhausted), "exhausted");
}

TEST_CASE("drain and forget codes follow the runner storage codes") {
  CHECK_EQ(static_cast<int>(storage::errc::unknown_runner), 10);
  CHECK_EQ(static_cast<int>(storage::errc::runner_alive), 11);
  CHECK_EQ(to_string(storage::errc::unknown_runner), "unknown_runner");
  CHECK_EQ(to_string(storage::errc::runner_alive), "runner_alive");
}

TEST_CASE("a foreign database has a code of its own after them") {
  CHECK_EQ(static_cast<int>(storage::errc::foreign_database), 12);
  CHECK_EQ(to_string(storage::errc::foreign_database), "foreign_database");
}

TEST_CASE("unsupported follows foreign_database and renders by name") {
  CHECK_EQ(static_cast<int>(storage::errc::unsupported), 13);
  CHECK_EQ(to_string(storage::errc::unsupported), "unsupported");
  caf::actor_system_config cfg;
  storage::add_error_category(cfg);
  caf::actor_system sys{cfg};
  auto err = caf::make_error(storage::errc::unsupported,
                             std::string{"the memory backend has no SQL"});
  CHECK_EQ(sys.render(err),
           "storage: unsupported (the memory backend has no SQL)");
}

TEST_CASE("a shards-per-group mismatch renders with its message") {
  caf::actor_system_config cfg;
  storage::add_error_category(cfg);
  caf::actor_system sys{cfg};
  auto err = caf::make_error(storage::errc::invalid_config,
                             std::string{"cluster.shards-per-group is 128"});
  CHECK_EQ(sys.render(err),
           "storage: invalid_config (cluster.shards-per-group is 128)");
}

} // TEST_SUITE
