// An outsider on the host (hostile-peer: plain CAF, no TLS) against two real
// counter-node runners: its shard map, shutdown and exit messages are
// dropped and logged, an oversized entity id is refused, and the runner
// keeps its shards, routes as before and serves another client within a
// second.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "caf_cluster/errc.hpp"

#include "multiprocess/cluster.hpp"

using namespace caf_cluster::multiprocess;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs hostile-peer against `port` in `mode`; returns its stdout.
std::string attack(uint16_t port, const std::string& mode,
                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--port=" + std::to_string(port),
                                "--mode=" + mode};
  args.insert(args.end(), extra.begin(), extra.end());
  auto res = run(programs::hostile_peer, args, 20s);
  INFO("hostile-peer --mode " << mode << ": " << res.out << res.err);
  REQUIRE(res.status);
  CHECK(res.status->exited_with(0));
  return res.out;
}

// A counter id whose shard `address` holds in `table`.
std::string id_held_by(client_node& client, const shard_table& table,
                       const std::string& address) {
  for (int i = 0; i < 10'000; ++i) {
    auto id = "probe-" + std::to_string(i);
    auto i_shard = table.holders.find(client.shard_of(id));
    if (i_shard != table.holders.end() && i_shard->second == address)
      return id;
  }
  FAIL("no counter id held by " << address);
  return {};
}

} // namespace

TEST_SUITE("multiprocess.hostile_peer") {

  TEST_CASE("a runner drops an outsider's shard map, shutdown and exit "
            "messages, refuses an oversized id, and keeps serving") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto a = start_node(procs, storage);
    auto b = start_node(procs, storage);
    auto table = await_shard_counts(storage,
                                    {{a.address, 150}, {b.address, 150}}, 20s);
    REQUIRE(to_string(table.counts)
            == to_string({{a.address, 150}, {b.address, 150}}));
    client_node client{storage};
    auto on_a = id_held_by(client, table, a.address);
    auto on_b = id_held_by(client, table, b.address);
    REQUIRE(client.increment(on_a, 1));

    CHECK(contains(attack(a.port, "assign"), "sent cc_assign"));
    CHECK(contains(attack(a.port, "shutdown"), "sent cc_shutdn"));
    CHECK(contains(attack(a.port, "exit"), "sent exit"));
    auto long_id = attack(a.port, "long-id");
    MESSAGE("long id: " << long_id.substr(0, 200));
    CHECK(contains(
      long_id,
      "error "
        + std::to_string(static_cast<int>(caf_cluster::errc::invalid_argument))
        + " cluster"));
    CHECK(contains(long_id,
                   "entity id of 1048576 bytes exceeds "
                   "cluster.max-entity-id-length (1024)"));

    // Another client is served at once, by both runners.
    auto since = clock_type::now();
    auto x = client.increment(on_a, 1, 1s);
    auto y = client.increment(on_b, 1, 1s);
    auto took = seconds_between(since, clock_type::now());
    MESSAGE("served again " << took << " s after the attacks");
    REQUIRE(x);
    CHECK(*x == 2);
    CHECK(y);
    CHECK(took < 1.0);
    // Runner A still routes by its own map: a send that enters at A for a
    // shard of B reaches B (the forged map named 127.0.0.1:1 for all).
    auto routed = attack(a.port, "entity", {"--id=" + on_b, "--amount=5"});
    CHECK_MESSAGE(contains(routed, "reply 6"), routed);

    // Both runners keep (and refresh) their shards; A logged what it
    // dropped.
    a.proc->drain();
    auto after = read_shards(storage);
    REQUIRE(after);
    CHECK(to_string(after->counts)
          == to_string({{a.address, 150}, {b.address, 150}}));
    INFO("runner A's stderr: " << a.proc->err());
    CHECK(contains(a.proc->err(), "dropped a shard map"));
    CHECK(contains(a.proc->err(), "dropped a shutdown message"));
    CHECK(contains(a.proc->err(), "dropped a kill"));
  }
}
