// Cluster cron on several runners in one process (manual clock, deterministic
// scheduler): every tick of a simulated day runs exactly once through crashes,
// restarts and leaves; a long outage skips stale ticks; the tick after a run is
// stored before its job runs; bad registrations are refused.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "caf_cluster/cron/cluster_cron.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/sharding.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::cron;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

constexpr int64_t minute_ms = 60'000;

// Leases and claims at a scale that suits a simulated day: failover within
// about 30 s, well inside a minute, at a 5 s step.
sharding_config day_config() {
  auto cfg = cluster_fixture::default_config();
  cfg.lease_duration = 20s;
  cfg.lease_refresh_interval = 5s;
  cfg.refresh_assignments_interval = 10s;
  cfg.entity_termination_timeout = 5s;
  cfg.send_timeout = 30s;
  cfg.message_claim_timeout = 60s;
  return cfg;
}

constexpr auto day_step = 5s;

// What the job saw: each run's scheduled time and runner.
struct run_log {
  std::map<int64_t, int> runs;   // scheduled time -> runs
  std::map<size_t, int> per_runner;
  std::vector<int64_t> pending_at_run; // stored unanswered ticks per run

  int total() const {
    int n = 0;
    for (auto& kvp : runs)
      n += kvp.second;
    return n;
  }
};

using log_ptr = std::shared_ptr<run_log>;

// The fixture's message storage, known only once the fixture exists.
using storage_slot = std::shared_ptr<std::shared_ptr<storage::message_driver>>;

// Registers the every-minute cron "minutely"; with `messages`, each run also
// counts the cron's stored unanswered ticks.
cluster_fixture::setup_fn register_minutely(log_ptr log, cron_options opts,
                                            storage_slot messages = nullptr) {
  return [=](sharding& s, size_t i) {
    auto every_minute = cron_schedule::parse("* * * * *");
    REQUIRE(every_minute);
    auto err = cluster_cron(
      s, "minutely", *every_minute,
      [=](const cron_run& run) {
        ++log->runs[run.scheduled_ms];
        ++log->per_runner[i];
        if (messages && *messages) {
          auto counts = (*messages)->pending_counts();
          REQUIRE(counts);
          int64_t n = 0;
          for (auto& x : *counts)
            if (x.entity_type == cron_entity_type("minutely"))
              n += x.count;
          log->pending_at_run.push_back(n);
        }
      },
      opts);
    REQUIRE(!err);
  };
}

// Advances to `until_ms` on the fixture's wall clock in `day_step` steps.
void advance_to(cluster_fixture& f, int64_t until_ms) {
  while (f.clock->now_ms() < until_ms)
    f.advance(day_step);
}

int64_t next_minute(int64_t ms) {
  return (ms / minute_ms + 1) * minute_ms;
}

struct day_stats {
  size_t faults = 0;
  size_t runs = 0;
};

// A simulated day of an every-minute cron over three runners that crash,
// restart and leave at random (at least one stays up): each minute of the
// day runs exactly once.
void day_of_ticks(uint64_t seed, day_stats& stats) {
  picker pick{seed};
  constexpr size_t runners = 3;
  auto log = std::make_shared<run_log>();
  cluster_fixture f{runners, day_config(), register_minutely(log, {})};
  auto start = f.clock->now_ms();
  auto end = start + 24 * 60 * minute_ms;
  std::ostringstream faults;
  while (f.clock->now_ms() < end - 5 * minute_ms) {
    if (pick(60) == 0) { // about every 5 minutes
      ++stats.faults;
      std::vector<size_t> up, down;
      for (size_t r = 0; r < runners; ++r)
        (f.up(r) ? up : down).push_back(r);
      auto t = (f.clock->now_ms() - start) / 1000;
      if (!down.empty() && (up.size() == 1 || pick(2) == 0)) {
        auto r = down[pick(down.size())];
        faults << "t" << t << " restart " << r << "; ";
        f.start(r);
      } else {
        auto r = up[pick(up.size())];
        auto crash = pick(3) != 0;
        faults << "t" << t << (crash ? " crash " : " leave ") << r << "; ";
        crash ? f.crash(r) : f.leave(r);
      }
    }
    f.advance(day_step);
  }
  for (size_t r = 0; r < runners; ++r)
    if (!f.up(r))
      f.start(r);
  advance_to(f, end + minute_ms);
  INFO(faults.str());
  int in_day = 0;
  for (auto at = next_minute(start); at <= end; at += minute_ms) {
    INFO("minute " << (at - start) / minute_ms);
    REQUIRE_EQ(log->runs[at], 1);
    ++in_day;
  }
  CHECK_EQ(in_day, 1440);
  for (auto& [at, n] : log->runs) {
    CHECK_EQ(at % minute_ms, 0);
    CHECK_GT(at, start);
  }
  stats.runs += static_cast<size_t>(in_day);
}

} // namespace

TEST_CASE("seeded faults: an every-minute cron runs 1,440 times a day") {
  auto range = seeds(100);
  day_stats stats;
  for (auto seed = range.first; seed <= range.last(); ++seed) {
    INFO("seed " << seed << " (replay with CAF_CLUSTER_SEED=" << seed << ")");
    day_of_ticks(seed, stats);
  }
  MESSAGE("seeds " << range.first << ".." << range.last() << ": "
                   << stats.runs << " ticks each run once, " << stats.faults
                   << " crashes, restarts and leaves");
}

namespace {

// Runs the minutely cron for 10 minutes, takes the whole cluster down for
// 10 minutes, then runs it for 10 more.
std::shared_ptr<run_log> outage(cron_options opts) {
  auto log = std::make_shared<run_log>();
  cluster_fixture f{3, day_config(), register_minutely(log, opts)};
  auto start = next_minute(f.clock->now_ms()) - minute_ms; // 00:00
  advance_to(f, start + 10 * minute_ms + 30'000);
  for (size_t r = 0; r < 3; ++r)
    f.crash(r);
  f.advance(10min);
  for (size_t r = 0; r < 3; ++r)
    f.start(r);
  advance_to(f, start + 30 * minute_ms + 30'000);
  // Relative minutes for readable failures.
  auto result = std::make_shared<run_log>();
  for (auto& [at, n] : log->runs)
    result->runs[(at - start) / minute_ms] = n;
  return result;
}

std::map<int64_t, int> minutes(std::initializer_list<std::pair<int, int>> xs) {
  std::map<int64_t, int> result;
  for (auto [from, to] : xs)
    for (auto m = from; m <= to; ++m)
      result[m] = 1;
  return result;
}

} // namespace

TEST_CASE("after a 10-minute outage, skip_if_older_than drops stale ticks") {
  cron_options opts;
  opts.skip_if_older_than = 5min;
  SUBCASE("next from now: the stale tick is skipped, the chain resumes") {
    auto log = outage(opts);
    // 00:11 comes due at 00:20:30 (9.5 min late) and is skipped; the next
    // tick is the next minute after now.
    CHECK_EQ(log->runs, minutes({{1, 10}, {21, 30}}));
  }
  SUBCASE("next from previous: missed ticks catch up, the stale ones not") {
    opts.calculate_next_from_previous = true;
    auto log = outage(opts);
    // 00:11..00:15 are older than 5 min at 00:20:30; 00:16..00:20 run.
    CHECK_EQ(log->runs, minutes({{1, 10}, {16, 30}}));
  }
  SUBCASE("without a bound low enough, every missed tick catches up") {
    opts.calculate_next_from_previous = true;
    opts.skip_if_older_than = 1h;
    auto log = outage(opts);
    CHECK_EQ(log->runs, minutes({{1, 30}}));
  }
}

TEST_CASE("a tick whose successor cannot be stored waits, and none is lost") {
  auto log = std::make_shared<run_log>();
  cron_options opts;
  opts.calculate_next_from_previous = true;
  cluster_fixture f{3, day_config(), register_minutely(log, opts)};
  auto start = next_minute(f.clock->now_ms()) - minute_ms; // 00:00
  advance_to(f, start + 3 * minute_ms - 10'000);
  // Saving requests fails everywhere for 2.5 minutes from 00:02:50: tick
  // 00:03 is delivered but cannot store 00:04, so its job waits.
  for (size_t r = 0; r < 3; ++r)
    f.cut_request_saves(r, true);
  advance_to(f, start + 5 * minute_ms + 20'000);
  CHECK_EQ(log->runs.count(start + 3 * minute_ms), 0u);
  for (size_t r = 0; r < 3; ++r)
    f.cut_request_saves(r, false);
  advance_to(f, start + 10 * minute_ms + 30'000);
  for (int m = 1; m <= 10; ++m) {
    INFO("minute " << m);
    CHECK_EQ(log->runs[start + m * minute_ms], 1);
  }
  CHECK_EQ(log->total(), 10);
}

TEST_CASE("a tick stores the next one before its job runs") {
  auto log = std::make_shared<run_log>();
  auto messages = std::make_shared<std::shared_ptr<storage::message_driver>>();
  cluster_fixture f{2, day_config(), register_minutely(log, {}, messages)};
  *messages = f.message_storage();
  advance_to(f, f.clock->now_ms() + 5 * minute_ms);
  REQUIRE_GE(log->pending_at_run.size(), 4u);
  // This tick (unanswered while its job runs) and the next one.
  for (auto n : log->pending_at_run)
    CHECK_EQ(n, 2);
}

TEST_CASE("cluster cron registration rules") {
  cluster_fixture f{1};
  auto& s = f.runner(0);
  auto every = cron_schedule::every(10s);
  REQUIRE(every);
  auto job = [](const cron_run&) {};
  CHECK_EQ(cluster_cron(s, "", *every, job), errc::invalid_argument);
  CHECK_EQ(cluster_cron(s, "x", *every, nullptr), errc::invalid_argument);
  cron_options bad;
  bad.skip_if_older_than = 0s;
  CHECK_EQ(cluster_cron(s, "x", *every, job, bad), errc::invalid_argument);
  auto never = cron_schedule::parse("0 0 30 2 *");
  REQUIRE(never);
  auto err = cluster_cron(s, "x", *never, job);
  CHECK_EQ(err, errc::invalid_argument);
  CHECK(to_string(err).find("never fires") != std::string::npos);
  REQUIRE(!cluster_cron(s, "x", *every, job));
  CHECK_EQ(cluster_cron(s, "x", *every, job), errc::invalid_argument);
  CHECK_EQ(cron_schedule::every(0s).error(), errc::invalid_argument);
  CHECK_EQ(cron_schedule::every(1500us).error(), errc::invalid_argument);
  // Without message storage ticks cannot be stored.
  fixture single;
  CHECK_EQ(cluster_cron(*single.cluster, "x", *every, job),
           errc::invalid_config);
}

TEST_CASE("a fixed interval fires at multiples of it since the epoch") {
  auto every = cron_schedule::every(90min);
  REQUIRE(every);
  CHECK_EQ(every->next_ms(0), 5'400'000);
  CHECK_EQ(every->next_ms(5'400'000), 10'800'000);
  CHECK_EQ(every->next_ms(5'399'999), 5'400'000);
  CHECK_EQ(every->next_ms(-1), 0);
  CHECK_EQ(every->text(), "every 5400000ms");
  CHECK_EQ(cron_tick_id(1'767'225'660'000), "2026-01-01T00:01:00Z");
  CHECK_EQ(cron_tick_id(951'782'400'250), "2000-02-29T00:00:00.250Z");
}
