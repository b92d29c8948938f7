// The bank account entity on a real single-process node: deposits add up per
// account, a retried deposit counts once, and the balance is durable.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <filesystem>
#include <optional>
#include <string>

#include <unistd.h>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/sharding.hpp"

#include "bank_account.hpp"

namespace {

// One process serving every shard, with persisted messages and durable
// state in `storage` (a single runner needs SQLite for them).
struct node {
  caf_cluster::cluster_config cfg;
  std::optional<caf::actor_system> sys;
  std::optional<caf_cluster::sharding> cluster;

  explicit node(const std::string& storage) {
    bank::add_account_types(cfg);
    cfg.set("cluster.storage", storage);
    sys.emplace(cfg);
    auto made = caf_cluster::sharding::make(*sys);
    REQUIRE_MESSAGE(made, sys->render(made.error()));
    cluster.emplace(std::move(*made));
    auto err = cluster->register_entity(bank::account_entity, bank::account_impl);
    REQUIRE_MESSAGE(!err, sys->render(err));
  }

  ~node() {
    cluster->await_shutdown(std::chrono::seconds{5});
  }

  // The reply's balance, or -1 after printing the error.
  template <class Msg>
  int64_t ask(const std::string& account, Msg msg) {
    auto client = cluster->make_client(bank::account_entity);
    auto result = client.ask(account, std::move(msg));
    if (!result) {
      MESSAGE(sys->render(result.error()));
      return -1;
    }
    return *result;
  }
};

// A fresh SQLite file in the temporary directory, removed at the end.
struct temp_db {
  std::filesystem::path path;

  explicit temp_db(const std::string& name)
    : path(std::filesystem::temp_directory_path()
           / ("bank-" + name + "-" + std::to_string(getpid()) + ".db")) {
    remove();
  }

  ~temp_db() {
    remove();
  }

  std::string uri() const {
    return "sqlite:" + path.string();
  }

  void remove() {
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path.string() + suffix);
  }
};

} // namespace

TEST_CASE("deposits add up per account and a retried deposit counts once") {
  temp_db db{"deposits"};
  node n{db.uri()};
  CHECK(n.ask("alice", bank::deposit{100, {}}) == 100);
  CHECK(n.ask("alice", bank::deposit{50, {}}) == 150);
  CHECK(n.ask("alice", bank::deposit{25, "transfer-7"}) == 175);
  CHECK(n.ask("alice", bank::deposit{25, "transfer-7"}) == 175);
  CHECK(n.ask("bob", bank::get_balance{}) == 0);
  CHECK(n.ask("bob", bank::deposit{7, {}}) == 7);
  CHECK(n.ask("alice", bank::get_balance{}) == 175);
}

TEST_CASE("the balance survives a restart on the same SQLite file") {
  temp_db db{"restart"};
  {
    node first{db.uri()};
    CHECK(first.ask("carol", bank::deposit{30, {}}) == 30);
    CHECK(first.ask("carol", bank::deposit{12, {}}) == 42);
  }
  {
    node second{db.uri()};
    CHECK(second.ask("carol", bank::get_balance{}) == 42);
  }
}
