// Runner storage is not a trust anchor, and its failures are loud: a writer of
// the database who dates a heartbeat or a lease years ahead gets no shard and
// blocks none; a runner whose storage writes fail (a full disk) logs it at
// error, and callers keep hearing the cause after every lease is gone.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "caf_cluster/storage/runner_driver.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

constexpr int64_t ten_years_ms = int64_t{10} * 365 * 24 * 3600 * 1000;

const std::string forger = "10.6.6.6:4000";

sharding_config at_info() {
  auto cfg = cluster_fixture::default_config();
  cfg.log_level = log_level::info;
  return cfg;
}

int64_t lease_ms(const cluster_fixture& f) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           f.config().lease_duration)
    .count();
}

std::map<size_t, int> shards_per_runner(const cluster_fixture& f) {
  std::map<size_t, int> result;
  for (int32_t i = 1; i <= f.config().shards_per_group; ++i)
    for (auto r : f.servers(i))
      ++result[r];
  return result;
}

size_t lines_with(const cluster_fixture& f, size_t r, const std::string& part) {
  return f.log_lines(r, part).size();
}

} // namespace

TEST_SUITE("deterministic.untrusted_storage") {

TEST_CASE("a runner row with a heartbeat ten years ahead gets no shard") {
  cluster_fixture f{2, at_info()};
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  auto half = f.config().shards_per_group / 2;
  auto d = f.runner_storage();
  auto now = f.clock->now_ms();
  // Weight 100: if the ring believed it, it would take nearly every shard.
  storage::runner_row row;
  row.address = forger;
  row.weight = 100;
  row.groups = {"default"};
  REQUIRE(d->register_runner(row, f.config().shards_per_group, now,
                             lease_ms(f)));
  REQUIRE(d->refresh(forger, {}, now + ten_years_ms, lease_ms(f)));
  for (int i = 0; i < 50; ++i) { // 5 s: ten lease refreshes
    f.advance(step);
    REQUIRE(doubly_served(f) == 0);
  }
  CHECK(settled(f));
  auto counts = shards_per_runner(f);
  CHECK_EQ(counts[0], half);
  CHECK_EQ(counts[1], half);
  for (int32_t i = 1; i <= f.config().shards_per_group; ++i)
    CHECK_NE(f.lease_holder(i), std::optional<std::string>{forger});
  // Logged once per runner, not at every tick.
  const std::string warned = "WARN  [" + f.address(0) + "] membership: "
                             "ignoring runner "
                             + forger + ": its heartbeat is dated ";
  CHECK_EQ(lines_with(f, 0, warned), 1u);
  CHECK_EQ(lines_with(f, 1, "ignoring runner " + forger), 1u);
  // Messages still reach the real owners.
  auto slot = f.send(0, "tally-1", 5);
  await_replies(f, {slot});
  REQUIRE(slot->has_value());
  CHECK(slot->value());
}

TEST_CASE("a lease dated ten years ahead does not keep a shard from its "
          "owner") {
  cluster_fixture f{2, at_info()};
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  auto holder = f.lease_holder(1);
  REQUIRE(holder);
  auto owner = *holder == f.address(0) ? size_t{0} : size_t{1};
  auto before = f.epoch(owner, 1);
  auto d = f.runner_storage();
  auto now = f.clock->now_ms();
  // Ten years from now the owner's lease has long expired: granted.
  auto forged = d->acquire(forger, {"default:1"}, now + ten_years_ms,
                           lease_ms(f));
  REQUIRE(forged);
  REQUIRE_EQ(forged->size(), 1u);
  CHECK_EQ(f.lease_holder(1), std::optional<std::string>{forger});
  // The owner loses it at its next refresh and takes it back at once.
  REQUIRE(advance_until(
    f, [&] { return settled(f) && f.lease_holder(1) == f.address(owner); },
    3s));
  CHECK_GT(f.epoch(owner, 1), forged->front().epoch);
  CHECK_GT(forged->front().epoch, before);
  for (int i = 0; i < 20; ++i)
    f.advance(step);
  CHECK_EQ(f.lease_holder(1), std::optional<std::string>{f.address(owner)});
}

TEST_CASE("a full disk: the runner logs it at error and callers keep hearing "
          "it") {
  cluster_fixture f{1, at_info()};
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  f.fill_storage(0, true);
  REQUIRE(advance_until(f, [&] { return shards_per_runner(f).empty(); }));
  // Its own heartbeat lapses too: no runner is left to serve.
  for (int i = 0; i < 30; ++i)
    f.advance(step);
  auto slot = f.send(0, "tally-1", 1, 1s);
  for (int i = 0; i < 30 && !slot->has_value(); ++i)
    f.advance(step);
  REQUIRE(slot->has_value());
  REQUIRE_FALSE(slot->value());
  auto text = render(slot->value().error());
  INFO(text);
  CHECK(slot->value().error() == errc::runner_unavailable);
  CHECK_NE(text.find("no runner serves shard "), std::string::npos);
  CHECK_NE(text.find("runner storage fails: "), std::string::npos);
  CHECK_NE(text.find("database or disk is full"), std::string::npos);
  // The runner says so at error, once per kind of call, not at every tick.
  auto errors = f.log_lines(0, "ERROR [" + f.address(0) + "] storage: ");
  REQUIRE_FALSE(errors.empty());
  CHECK_EQ(lines_with(f, 0, "storage: lease refresh failed 3 times in a row: "
                            "storage: io_error (refresh leases of runner "
                              + f.address(0)
                              + " in /data/cluster.db: database or disk is "
                                "full)"),
           1u);
  std::set<std::string> kinds;
  for (auto& line : errors) {
    CHECK_NE(line.find("failed 3 times in a row: "), std::string::npos);
    CHECK_NE(line.find("database or disk is full"), std::string::npos);
    auto from = line.find("storage: ");
    kinds.insert(line.substr(from, line.find(" failed ") - from));
  }
  CHECK_EQ(kinds.size(), errors.size());
  // Space again: it serves, and the cause is no longer reported.
  f.fill_storage(0, false);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  auto again = f.send(0, "tally-1", 1);
  await_replies(f, {again});
  REQUIRE(again->has_value());
  CHECK(again->value());
}

} // TEST_SUITE
