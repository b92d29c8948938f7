// Singletons and cluster cron as real processes: three services-node runners
// on 127.0.0.1 share one SQLite file; every second the cron job appends its
// scheduled time to a table. The runner that runs the singleton is killed
// with -9 mid-run: no second may appear twice or be missing (a tick the
// failover delays runs late), and the singleton must run on one survivor.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "multiprocess/cluster.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void sleep_until_wall(int64_t ms) {
  auto left = ms - wall_ms();
  if (left > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds{left});
}

// How often `text` occurs in `out`.
size_t occurrences(const std::string& out, const std::string& text) {
  size_t n = 0;
  for (auto i = out.find(text); i != std::string::npos;
       i = out.find(text, i + 1))
    ++n;
  return n;
}

// Whether runner `r` runs the singleton according to its output so far.
bool runs_reporter(runner& r) {
  r.proc->drain();
  auto& out = r.proc->out();
  return occurrences(out, "singleton 'reporter' started")
         > occurrences(out, "singleton 'reporter' stopped");
}

// Ticks run about 0.2 s after their second (the owner's claim period);
// killing at the middle of a second keeps the kill away from a running job.
// A job killed mid-run runs again on the next owner, by design.
constexpr int64_t kill_offset_ms = 500;

} // namespace

TEST_SUITE_BEGIN("multiprocess.services_cluster");

TEST_CASE("an every-second cron survives kill -9: no tick twice, none lost") {
  runner_fixture f;
  auto ticks_db = f.dir.file("ticks.db");
  for (int i = 0; i < 3; ++i)
    f.runners.push_back(start_node(f.procs, f.storage, 0,
                                   {"--ticks-db", ticks_db}, 10s,
                                   programs::services_node));
  f.settle();
  auto started = wall_ms();
  // The singleton runs on exactly one runner.
  runner* holder = nullptr;
  for (int i = 0; i < 50 && !holder; ++i) {
    for (auto& r : f.runners)
      if (runs_reporter(r))
        holder = &r;
    if (!holder)
      std::this_thread::sleep_for(100ms);
  }
  REQUIRE(holder);
  CHECK_EQ(std::count_if(f.runners.begin(), f.runners.end(),
                         [](runner& r) { return runs_reporter(r); }),
           1);
  auto kill_at = (started + 6'000) / 1000 * 1000 + kill_offset_ms;
  sleep_until_wall(kill_at);
  holder->proc->signal(SIGKILL);
  REQUIRE(holder->proc->wait(clock_type::now() + 5s));
  MESSAGE("killed " << holder->address << " (ran the singleton) at "
                    << (kill_at - started) << " ms");
  // The singleton moves to one survivor.
  std::vector<runner*> survivors;
  for (auto& r : f.runners)
    if (&r != holder)
      survivors.push_back(&r);
  int64_t moved_ms = -1;
  for (int i = 0; i < 100 && moved_ms < 0; ++i) {
    if (std::any_of(survivors.begin(), survivors.end(),
                    [](runner* r) { return runs_reporter(*r); }))
      moved_ms = wall_ms() - kill_at;
    else
      std::this_thread::sleep_for(100ms);
  }
  REQUIRE(moved_ms >= 0);
  MESSAGE("singleton running again " << moved_ms << " ms after the kill");
  sleep_until_wall(started + 20'000);
  CHECK_EQ(std::count_if(survivors.begin(), survivors.end(),
                         [](runner* r) { return runs_reporter(*r); }),
           1);
  for (auto* r : survivors)
    r->proc->signal(SIGTERM);
  for (auto* r : survivors) {
    auto status = r->proc->wait(clock_type::now() + 20s);
    REQUIRE(status);
    CHECK(status->exited_with(0));
  }
  // Every scheduled second once.
  std::vector<int64_t> seconds;
  {
    SQLite::Database db{ticks_db, SQLite::OPEN_READONLY};
    SQLite::Statement query{db, "SELECT scheduled_ms FROM ticks ORDER BY 1"};
    while (query.executeStep())
      seconds.push_back(query.getColumn(0).getInt64());
  }
  REQUIRE_GE(seconds.size(), 10u);
  for (size_t i = 1; i < seconds.size(); ++i) {
    INFO("tick " << seconds[i]);
    CHECK_NE(seconds[i], seconds[i - 1]);
    CHECK_EQ(seconds[i] % 1000, 0);
  }
  std::vector<int64_t> missing;
  for (auto s = seconds.front(); s <= seconds.back(); s += 1000)
    if (!std::binary_search(seconds.begin(), seconds.end(), s))
      missing.push_back(s);
  INFO(missing.size() << " missing, the first "
                      << (missing.empty() ? 0 : missing.front() - kill_at)
                      << " ms after the kill");
  CHECK(missing.empty());
  MESSAGE(seconds.size() << " ticks from " << (seconds.front() - started)
                         << " ms to " << (seconds.back() - started)
                         << " ms, none twice, none missing");
  // The first tick came soon after the cluster settled, the last near the end.
  CHECK(seconds.front() - started <= 3'000);
  CHECK(started + 20'000 - seconds.back() <= 3'000);
}

TEST_SUITE_END();
