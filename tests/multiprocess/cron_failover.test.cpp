// Cluster cron through repeated kill -9, as real processes: three
// services-node runners share one SQLite file and run the every-second
// "heartbeat" cron, whose job appends each tick to a table. Again and again
// the runner that holds the shard of the next tick is killed, at a different
// offset within the second before it, and started again. Every second of the
// whole run must have its tick exactly once: the tick the kill delays runs
// late on a survivor, and so do the ticks that came due meanwhile.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "caf_cluster/cron/cluster_cron.hpp"
#include "caf_cluster/shard_hash.hpp"

#include "multiprocess/cluster.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void sleep_until_ms(int64_t ms) {
  auto left = ms - now_ms();
  if (left > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds{left});
}

// One run of the job, as the runner recorded it.
struct tick_row {
  int64_t scheduled_ms = 0;
  std::string runner;
  int64_t ran_ms = 0;
};

std::vector<tick_row> read_ticks(const std::string& file) {
  std::vector<tick_row> result;
  SQLite::Database db{file, SQLite::OPEN_READONLY};
  SQLite::Statement query{db, "SELECT scheduled_ms, runner, ran_ms FROM ticks "
                              "ORDER BY scheduled_ms, ran_ms"};
  while (query.executeStep())
    result.push_back({query.getColumn(0).getInt64(),
                      query.getColumn(1).getString(),
                      query.getColumn(2).getInt64()});
  return result;
}

// The shard ("default:<n>") that holds tick `at` of every cron.
std::string tick_shard(int64_t at) {
  auto index = caf_cluster::shard_index(caf_cluster::cron::cron_tick_id(at),
                                        300);
  REQUIRE(index);
  return "default:" + std::to_string(*index);
}

struct kill_event {
  std::string address;
  int64_t at_ms = 0;   // when the kill was sent
  int64_t tick_ms = 0; // the tick whose shard it held
};

constexpr int rounds = 9;

// Kills fall at these offsets into the second before the victim's tick.
constexpr int64_t offsets_ms[rounds] = {444, 0, 888, 222, 666, 111, 555, 333,
                                        777};

} // namespace

TEST_SUITE_BEGIN("multiprocess.cron_failover");

TEST_CASE("an every-second cron through 9 kill -9 of the next tick's runner: "
          "every second's tick runs exactly once") {
  runner_fixture f;
  auto ticks_db = f.dir.file("ticks.db");
  std::vector<std::string> extra{"--ticks-db", ticks_db};
  for (int i = 0; i < 3; ++i)
    f.runners.push_back(start_node(f.procs, f.storage, 0, extra, 10s,
                                   programs::services_node));
  f.settle();
  auto started = now_ms();
  std::vector<kill_event> kills;
  for (auto offset : offsets_ms) {
    // The victim holds the shard of tick `due`, at least 1.5 s ahead.
    auto due = (now_ms() + 1'500) / 1000 * 1000 + 1000;
    auto table = read_shards(f.storage);
    REQUIRE(table);
    auto shard = tick_shard(due);
    auto holder = table->holders.find(shard);
    REQUIRE(holder != table->holders.end());
    auto victim = std::find_if(f.runners.begin(), f.runners.end(),
                               [&](runner& r) {
                                 return r.address == holder->second;
                               });
    REQUIRE(victim != f.runners.end());
    auto kill_at = due - 1000 + offset;
    sleep_until_ms(kill_at);
    victim->proc->signal(SIGKILL);
    kills.push_back({victim->address, now_ms(), due});
    REQUIRE(victim->proc->wait(clock_type::now() + 5s));
    // Past the failover (2 s lease), then back to three runners.
    sleep_until_ms(due + 3'000);
    *victim = start_node(f.procs, f.storage, victim->port, extra, 10s,
                         programs::services_node);
    f.settle();
  }
  sleep_until_ms(now_ms() + 3'000);
  auto stopped = now_ms();
  for (auto& r : f.runners)
    r.proc->signal(SIGTERM);
  for (auto& r : f.runners) {
    auto status = r.proc->wait(clock_type::now() + 20s);
    REQUIRE(status);
    CHECK(status->exited_with(0));
  }
  auto rows = read_ticks(ticks_db);
  REQUIRE_GE(rows.size(), 20u);
  std::map<int64_t, std::vector<tick_row>> by_second;
  for (auto& x : rows) {
    CHECK_EQ(x.scheduled_ms % 1000, 0);
    by_second[x.scheduled_ms].push_back(x);
  }
  // A job killed mid-run runs again on the next owner with the same time
  // (documented; jobs that care are idempotent by it): a second run is
  // accepted only when the first ran on a runner killed at most 100 ms later.
  auto killed_mid_run = [&](const tick_row& x) {
    return std::any_of(kills.begin(), kills.end(), [&](const kill_event& k) {
      return k.address == x.runner && k.at_ms >= x.ran_ms
             && k.at_ms - x.ran_ms <= 100;
    });
  };
  auto first = by_second.begin()->first;
  auto last = by_second.rbegin()->first;
  int checked = 0;
  int reruns = 0;
  int lost = 0;
  for (auto at = first; at <= last; at += 1000) {
    INFO("tick " << (at - started) << " ms after the start");
    auto& runs = by_second[at];
    if (runs.empty())
      ++lost;
    if (runs.size() == 2 && killed_mid_run(runs.front()))
      ++reruns;
    else
      CHECK_EQ(runs.size(), 1u);
    ++checked;
  }
  CHECK_EQ(lost, 0);
  // The ticks the kills delayed ran late, not lost, and the next ones too.
  int64_t latest = 0;
  for (auto& k : kills) {
    INFO("kill of " << k.address << " " << (k.tick_ms - k.at_ms)
                    << " ms before tick " << (k.tick_ms - started));
    CHECK_FALSE(by_second[k.tick_ms + 1000].empty());
    auto& runs = by_second[k.tick_ms];
    CHECK_FALSE(runs.empty());
    if (!runs.empty())
      latest = std::max(latest, runs.back().ran_ms - k.tick_ms);
  }
  // The run spans the whole test: from right after the cluster settled to
  // right before it stopped.
  CHECK_LE(first - started, 2'000);
  CHECK_LE(stopped - last, 2'000);
  MESSAGE(kills.size() << " kills -9 of the next tick's runner, " << checked
                       << " seconds over " << (last - first) / 1000
                       << " s, " << lost << " lost: each tick once (" << reruns
                       << " re-run after a kill mid-job); the killed runners' "
                          "ticks ran up to "
                       << latest << " ms late");
}

TEST_SUITE_END();
