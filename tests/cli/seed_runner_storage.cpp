// Seeds a SQLite runner storage file for the cluster-ctl CLI tests: three
// runners that split the 300 default shards 100/100/100, one of them with an
// old heartbeat, plus one expired lease that must not count as held; and
// persisted messages for `cluster-ctl pending`: Counter 3 on default:1 and
// 1 on default:2, Order 2 on default:2, one processed request that does not
// count.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "caf_cluster/storage/sqlite_message_driver.hpp"
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
  auto messages = make_sqlite_message_driver(path);
  if (!messages)
    return fail("cannot open message storage in " + path);
  struct pending {
    const char* type;
    const char* shard;
    int count;
  };
  std::vector<request_row> rows;
  int64_t id = 1000;
  for (auto p : {pending{"Counter", "default:1", 3}, pending{"Counter", "default:2", 1},
                 pending{"Order", "default:2", 2}, pending{"Order", "default:3", 1}}) {
    for (int i = 0; i < p.count; ++i) {
      request_row row;
      row.request_id = ++id;
      row.entity_type = p.type;
      row.entity_id = std::string{p.type} + "-" + std::to_string(id);
      row.shard = p.shard;
      row.tag = "seed";
      row.payload = "x";
      row.primary_key = std::to_string(id);
      rows.push_back(row);
    }
  }
  if (!(*messages)->save_requests(rows))
    return fail("cannot save requests");
  // The default:3 request is answered: not pending any more.
  reply_write done;
  done.reply = {id, true, "ok"};
  done.by = {"default:3", 1};
  auto written = (*messages)->save_replies({done});
  if (!written || written->front())
    return fail("cannot save reply");
  return 0;
}
