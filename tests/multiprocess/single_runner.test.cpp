// The single runner with `cluster.storage=sqlite:...`: one process, no port,
// persisted messages once per key and durable state, kept across restarts of
// the process, and what a previous process left unprocessed (here a scheduled
// increment) delivered by the next one.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

#include "counter_entity.hpp"
#include "multiprocess/cluster.hpp"
#include "multiprocess/process.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::multiprocess;

namespace {

struct counter_config : cluster_config {
  counter_config() {
    add_entity(counter::counter_entity);
  }
};

// One process's life on the database: a fresh actor system and single
// runner, the Counter registered.
struct one_process {
  counter_config cfg;
  caf::actor_system sys{cfg};
  std::optional<sharding> cluster;

  explicit one_process(const std::string& storage) {
    sharding_config c;
    c.storage = storage;
    c.lease_refresh_interval = 100ms; // the period of delivering what is due
    auto made = sharding::make(sys, c);
    REQUIRE_MESSAGE(made, sys.render(made.error()));
    cluster.emplace(std::move(*made));
    REQUIRE(!cluster->register_entity(counter::counter_entity,
                                      counter::counter_impl));
  }

  ~one_process() {
    cluster->await_shutdown(5s);
    cluster.reset();
  }

  entity_client<counter::counter_actor> client() const {
    return cluster->make_client(counter::counter_entity);
  }

  int64_t value(const std::string& id) {
    auto x = client().ask(id, counter::get_value{}, 5s);
    REQUIRE_MESSAGE(x, sys.render(x.error()));
    return *x;
  }
};

} // namespace

TEST_CASE("a single runner with SQLite storage keeps persisted messages and "
          "durable state across restarts, without a port") {
  temp_dir dir;
  auto storage = "sqlite:" + dir.file("single.db");
  {
    one_process p{storage};
    CHECK(p.cluster->address().empty());
    auto c = p.client();
    CHECK_EQ(c.ask("c-1", counter::increment{5, "a"}, 5s), 5);
    // The same key again: stored once, answered from storage.
    CHECK_EQ(c.ask("c-1", counter::increment{5, "a"}, 5s), 5);
    CHECK_EQ(c.ask("c-1", counter::decrement{1, {}}, 5s), 4);
    // Due after this process is gone.
    auto due = p.cluster->clock()->now_ms() + 700;
    c.tell_at("c-1", counter::increment{10, "later"}, due);
    CHECK_EQ(p.value("c-1"), 4);
  }
  {
    one_process p{storage};
    // The durable value survived the process.
    CHECK_EQ(p.value("c-1"), 4);
    // The scheduled increment the first process stored runs here.
    auto until = std::chrono::steady_clock::now() + 10s;
    while (p.value("c-1") != 14 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(20ms);
    CHECK_EQ(p.value("c-1"), 14);
    // Keys count across processes.
    CHECK_EQ(p.client().ask("c-1", counter::increment{5, "a"}, 5s), 5);
    CHECK_EQ(p.client().ask("c-1", counter::increment{10, "later"}, 5s), 14);
  }
}

TEST_CASE("counter-local keeps its counter in the database it is given") {
  temp_dir dir;
  auto flag = "--cluster.storage=sqlite:" + dir.file("local.db");
  auto first = run(programs::counter_local, {flag}, 20s);
  REQUIRE(first.status);
  CHECK_EQ(first.status->to_string(), "exit 0");
  CHECK(first.out.find("Current value: 3\n") != std::string::npos);
  auto second = run(programs::counter_local, {flag}, 20s);
  REQUIRE(second.status);
  CHECK_EQ(second.status->to_string(), "exit 0");
  CHECK(second.out.find("Current value: 6\n") != std::string::npos);
}

TEST_CASE("a single runner refuses a database a cluster uses") {
  temp_dir dir;
  auto storage = "sqlite:" + dir.file("shared.db");
  {
    // A runner of a cluster registered there.
    auto drivers = storage::open_cluster_storage(storage, {});
    REQUIRE(drivers);
    storage::runner_row row;
    row.address = "127.0.0.1:4001";
    row.groups = {"default"};
    REQUIRE(drivers->runners->register_runner(row, 300, 1'000, 2'000));
  }
  counter_config cfg;
  caf::actor_system sys{cfg};
  sharding_config c;
  c.storage = storage;
  auto made = sharding::make(sys, c);
  REQUIRE(!made);
  CHECK_EQ(made.error(), errc::invalid_config);
  CHECK(sys.render(made.error()).find("belongs to a cluster")
        != std::string::npos);
}
