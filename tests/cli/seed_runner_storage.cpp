// Seeds a SQLite runner storage file for the cluster-ctl CLI tests: three
// runners that split the 300 default shards 100/100/100, one of them with an
// old heartbeat, plus one expired lease that must not count as held.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "caf_cluster/storage/sqlite_runner_driver.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace {

constexpr int64_t day_ms = 24 * 3600 * 1000;
constexpr int64_t two_hours_ms = 2 * 3600 * 1000;

int fail(const std::string& what) {
  std::cerr << "seed_runner_storage: " << what << '\n';
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  using namespace caf_cluster::storage;
  if (argc != 2)
    return fail("usage: seed_runner_storage PATH");
  const std::string path = argv[1];
  for (auto suffix : {"", "-wal", "-shm"})
    std::remove((path + suffix).c_str());
  auto driver = make_sqlite_runner_driver(path);
  if (!driver)
    return fail("cannot open " + path);
  auto& db = **driver;
  const auto now = caf_cluster::system_wall_clock{}.now_ms();
  // 4003 first, two hours ago: unhealthy and stale under any short lease.
  // A one-day liveness window keeps its machine id (and row) when the others
  // register.
  struct seed {
    std::string address;
    int32_t weight;
    bool healthy;
    int64_t heartbeat_ms;
  };
  const std::vector<seed> seeds{
    {"127.0.0.1:4003", 1, false, now - two_hours_ms},
    {"127.0.0.1:4001", 1, true, now},
    {"127.0.0.1:4002", 2, true, now},
  };
  for (const auto& s : seeds) {
    runner_row row;
    row.address = s.address;
    row.weight = s.weight;
    row.healthy = s.healthy;
    row.groups = {"default"};
    if (!db.register_runner(row, 300, s.heartbeat_ms, day_ms))
      return fail("cannot register " + s.address);
  }
  // default:1..100 -> 4001, 101..200 -> 4002, 201..300 -> 4003.
  const char* holders[] = {"127.0.0.1:4001", "127.0.0.1:4002",
                           "127.0.0.1:4003"};
  for (int part = 0; part < 3; ++part) {
    std::vector<std::string> shards;
    for (int i = 1; i <= 100; ++i)
      shards.push_back("default:" + std::to_string(part * 100 + i));
    auto granted = db.acquire(holders[part], shards, now, day_ms);
    if (!granted || granted->size() != 100)
      return fail(std::string{"cannot acquire shards for "} + holders[part]);
  }
  // A lease that expired an hour ago.
  auto expired = db.acquire("127.0.0.1:4001", {"eu:1"}, now - two_hours_ms,
                            3600 * 1000);
  if (!expired || expired->size() != 1)
    return fail("cannot acquire eu:1");
  return 0;
}
