// Hop counts: how many actor messages each flow costs, counted on the
// deterministic scheduler (it runs one message per job). The numbers are the
// ones docs/architecture.md gives; a change that adds a hop fails here.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "caf/event_based_actor.hpp"

#include "caf_cluster/shard_id.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"
#include "deterministic/ledger_entity.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using caf_cluster::testing::steps::id_served_by;

namespace {

// Runs `send` (which spawns one requesting actor) and then every job until
// the scheduler is idle; returns the messages the flow took, not counting
// the requester's own start.
size_t hops(cluster_fixture& f, const std::function<void()>& send) {
  f.run();
  send();
  size_t jobs = 0;
  while (f.sched.try_run_once())
    ++jobs;
  return jobs - 1;
}

template <class Client, class Msg>
std::function<void()> ask(cluster_fixture& f, Client client, std::string id,
                          Msg msg,
                          std::shared_ptr<std::optional<int64_t>> out) {
  return [&f, client, id, msg, out] {
    f.sys.spawn([=](caf::event_based_actor* self) {
      client.request(self, id, msg, 3s).then([=](int64_t x) {
        *out = x;
      });
    });
  };
}

struct flow_counts {
  size_t cold = 0;
  size_t warm = 0;
};

// Counts a flow twice on the same entity: the first message activates it.
template <class Client, class Msg>
flow_counts count_flow(cluster_fixture& f, const Client& client,
                       const std::string& id, Msg first, Msg second) {
  flow_counts result;
  auto out = std::make_shared<std::optional<int64_t>>();
  result.cold = hops(f, ask(f, client, id, first, out));
  REQUIRE(out->has_value());
  out->reset();
  result.warm = hops(f, ask(f, client, id, second, out));
  REQUIRE(out->has_value());
  return result;
}

} // namespace

TEST_CASE("hop counts of volatile and persisted asks, local and remote") {
  cluster_fixture f{2};
  auto local_id = id_served_by(f, 0);
  auto remote_id = id_served_by(f, 1);
  auto tally = f.runner(0).make_client(tally_entity());
  auto ledger = f.runner(0).make_client(ledger_entity());
  auto volatile_local = count_flow(f, tally, local_id, int64_t{1}, int64_t{1});
  auto volatile_remote = count_flow(f, tally, remote_id, int64_t{1},
                                    int64_t{1});
  auto persisted_local = count_flow(f, ledger, local_id, keyed_add{1, "a"},
                                    keyed_add{1, "b"});
  auto persisted_remote = count_flow(f, ledger, remote_id, keyed_add{1, "a"},
                                     keyed_add{1, "b"});
  std::printf("hops: volatile local %zu (cold %zu), volatile remote %zu "
              "(cold %zu), persisted local %zu (cold %zu), persisted remote "
              "%zu (cold %zu)\n",
              volatile_local.warm, volatile_local.cold, volatile_remote.warm,
              volatile_remote.cold, persisted_local.warm, persisted_local.cold,
              persisted_remote.warm, persisted_remote.cold);
  // Before the runtime's split (d8cd01f): 4 (4), 11 (11), 12 (15), 19 (22).
  CHECK_EQ(volatile_local.warm, 4u);
  CHECK_EQ(volatile_local.cold, 4u);
  CHECK_EQ(volatile_remote.warm, 10u);
  CHECK_EQ(volatile_remote.cold, 10u);
  CHECK_EQ(persisted_local.warm, 10u);
  CHECK_EQ(persisted_local.cold, 12u);
  CHECK_EQ(persisted_remote.warm, 16u);
  CHECK_EQ(persisted_remote.cold, 18u);
}
