// Cluster cron on several runners in one process (manual clock, deterministic
// scheduler): every tick of a simulated day runs exactly once through crashes,
// restarts and leaves; a tick a failover delays runs late and so do the ticks
// behind it; a long outage or failover skips (and logs) only ticks older than
// skip_if_older_than; the tick after a run is stored before its job runs; bad
// registrations are refused.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
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
  std::map<int64_t, int64_t> late;     // scheduled time -> ms late
  // The runners' cron counters at the end, summed, by family.
  std::map<std::string, int64_t> counted;

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
// Collects the log lines of skipped ticks into `skips`.
std::shared_ptr<run_log> outage(cron_options opts,
                                std::vector<std::string>* skips) {
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
  for (size_t r = 0; r < 3; ++r)
    for (auto& line : f.log_lines(r, "older than skip_if_older_than"))
      skips->push_back(line);
  // Relative minutes for readable failures.
  auto result = std::make_shared<run_log>();
  for (size_t r = 0; r < 3; ++r)
    for (auto family : {"caf_cluster_cron_ticks_total",
                        "caf_cluster_cron_ticks_late_total",
                        "caf_cluster_cron_ticks_skipped_total"})
      result->counted[family] += f.runner(r).metrics().component_counter(
        family, {{"cron", "minutely"}});
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
  // Ticks on time run within one 5 s step of their minute.
  opts.late_after = 10s;
  SUBCASE("missed ticks catch up, the stale ones not") {
    std::vector<std::string> skips;
    auto log = outage(opts, &skips);
    // 00:11 runs at 00:20:32 (9 min 32 s late): it and 00:12..00:15 are
    // older than 5 min and skipped; 00:16..00:20 run late.
    CHECK_EQ(log->runs, minutes({{1, 10}, {16, 30}}));
    REQUIRE_EQ(skips.size(), 1u);
    INFO(skips[0]);
    CHECK_NE(skips[0].find("tick 2026-01-01T00:11:00Z: ran 572000 ms late"),
             std::string::npos);
    CHECK_NE(skips[0].find("skipped 5 tick(s) up to 2026-01-01T00:16:00Z"),
             std::string::npos);
    // The restarted runners' metrics: 00:16..00:30 ran, 00:16..00:20 late,
    // 00:11..00:15 skipped.
    CHECK_EQ(log->counted["caf_cluster_cron_ticks_total"], 15);
    CHECK_EQ(log->counted["caf_cluster_cron_ticks_late_total"], 5);
    CHECK_EQ(log->counted["caf_cluster_cron_ticks_skipped_total"], 5);
  }
  SUBCASE("without a bound low enough, every missed tick catches up") {
    opts.skip_if_older_than = 1h;
    std::vector<std::string> skips;
    auto log = outage(opts, &skips);
    CHECK_EQ(log->runs, minutes({{1, 30}}));
    CHECK(skips.empty());
    CHECK_EQ(log->counted["caf_cluster_cron_ticks_total"], 20);
    CHECK_EQ(log->counted["caf_cluster_cron_ticks_late_total"], 10);
    CHECK_EQ(log->counted["caf_cluster_cron_ticks_skipped_total"], 0);
  }
}

TEST_CASE("a tick whose successor cannot be stored waits, and none is lost") {
  auto log = std::make_shared<run_log>();
  cluster_fixture f{3, day_config(), register_minutely(log, {})};
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
  bad = cron_options{};
  bad.late_after = 0s;
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

namespace {

constexpr int64_t second_ms = 1'000;

// Registers the every-second cron "secondly", logging each run.
cluster_fixture::setup_fn register_secondly(log_ptr log, cron_options opts) {
  return [=](sharding& s, size_t i) {
    auto every_second = cron_schedule::every(1s);
    REQUIRE(every_second);
    auto clock = s.clock();
    auto err = cluster_cron(
      s, "secondly", *every_second,
      [=](const cron_run& run) {
        ++log->runs[run.scheduled_ms];
        ++log->per_runner[i];
        log->late[run.scheduled_ms] = clock->now_ms() - run.scheduled_ms;
      },
      opts);
    REQUIRE(!err);
  };
}

// The runner that serves the shard of tick `at` of "secondly" now.
std::optional<size_t> tick_server(cluster_fixture& f, int64_t at) {
  for (size_t r = 0; r < 3; ++r) {
    if (!f.up(r))
      continue;
    auto shard = f.runner(r).shard_id(cron_tick_id(at));
    REQUIRE(shard);
    auto servers = f.servers(shard->index);
    if (servers.size() == 1)
      return servers.front();
  }
  return std::nullopt;
}

struct failover_run {
  std::shared_ptr<run_log> log;
  int64_t start = 0;
  int64_t end = 0;
  std::vector<int64_t> victims_ticks; // the tick due right after each crash
  std::vector<std::string> skip_lines;
};

// Three runners with the every-second cron; `kills` times, the runner that
// serves the next tick's shard crashes `offset_ms` after a full second and is
// started again 6 s later. The default lease (2 s, refreshed every 0.5 s)
// makes each such tick run 1 to 1.5 s late on a survivor.
failover_run failovers(cron_options opts, int kills, int64_t first_offset_ms) {
  failover_run out;
  out.log = std::make_shared<run_log>();
  cluster_fixture f{3, cluster_fixture::default_config(),
                    register_secondly(out.log, opts)};
  constexpr auto step = 50ms;
  auto until = [&](int64_t ms) {
    while (f.clock->now_ms() < ms)
      f.advance(step);
  };
  out.start = f.clock->now_ms();
  until(out.start / second_ms * second_ms + 5 * second_ms);
  for (int k = 0; k < kills; ++k) {
    // Offsets 0, 130, 260, ... ms into the second before the victim's tick.
    auto offset = (first_offset_ms + k * 130) % second_ms;
    auto base = f.clock->now_ms() / second_ms * second_ms + second_ms;
    until(base + offset);
    auto due = (f.clock->now_ms() / second_ms + 1) * second_ms;
    auto victim = tick_server(f, due);
    REQUIRE(victim);
    f.crash(*victim);
    out.victims_ticks.push_back(due);
    until(due + 6 * second_ms);
    f.start(*victim);
    until(f.clock->now_ms() + 4 * second_ms);
  }
  out.end = f.clock->now_ms() - 3 * second_ms;
  until(out.end + 3 * second_ms);
  for (size_t r = 0; r < 3; ++r)
    for (auto& line : f.log_lines(r, "older than skip_if_older_than"))
      out.skip_lines.push_back(line);
  return out;
}

} // namespace

TEST_CASE("a tick delivered late by a failover runs, and so do the ticks "
          "that came due meanwhile") {
  // Each crash takes the shard of the next tick with it: that tick runs up
  // to 1.5 s late on a survivor, after the tick behind it came due. Before,
  // the tick after a late one was computed from "now" and that one never
  // ran (every crash lost a tick).
  for (int64_t first_offset : {0, 500}) {
    INFO("first offset " << first_offset << " ms");
    auto run = failovers({}, 8, first_offset);
    for (auto& [at, n] : run.log->runs)
      CHECK_EQ(n, 1);
    auto first = run.log->runs.begin()->first;
    REQUIRE_LT(first - run.start, 2 * second_ms);
    int checked = 0;
    for (auto at = first; at <= run.end; at += second_ms) {
      INFO("tick " << (at - run.start) << " ms after the start");
      CHECK_EQ(run.log->runs[at], 1);
      ++checked;
    }
    for (auto due : run.victims_ticks) {
      CHECK_EQ(run.log->runs[due], 1);
      CHECK_EQ(run.log->runs[due + second_ms], 1);
    }
    CHECK(run.skip_lines.empty());
    int64_t latest = 0;
    for (auto& [at, ms] : run.log->late)
      latest = std::max(latest, ms);
    MESSAGE(run.victims_ticks.size() << " crashes of the next tick's runner, "
                                     << checked << " seconds each run once, "
                                     << "the latest " << latest << " ms late");
  }
}

TEST_CASE("a failover longer than skip_if_older_than skips only the ticks "
          "older than it, and logs them") {
  cron_options opts;
  opts.skip_if_older_than = 800ms; // below the failover's 1 to 1.5 s
  auto run = failovers(opts, 4, 300);
  for (auto& [at, n] : run.log->runs)
    CHECK_EQ(n, 1);
  auto first = run.log->runs.begin()->first;
  // Every tick ran at most once; every tick missing is one a crash delayed
  // past the bound (the victim's tick, or one stored late by it), and each
  // crash cost at most two ticks.
  std::vector<int64_t> missing;
  for (auto at = first; at <= run.end; at += second_ms) {
    if (run.log->runs.count(at) == 0)
      missing.push_back(at);
  }
  for (auto at : missing) {
    INFO("missing tick " << (at - run.start) << " ms after the start");
    CHECK(std::any_of(run.victims_ticks.begin(), run.victims_ticks.end(),
                      [at](int64_t due) {
                        return at >= due && at <= due + 2 * second_ms;
                      }));
  }
  for (auto due : run.victims_ticks)
    CHECK_EQ(run.log->runs.count(due), 0u);
  CHECK_GE(missing.size(), run.victims_ticks.size());
  CHECK_LE(missing.size(), 2 * run.victims_ticks.size());
  // Each skip is logged with the instants it passes over.
  CHECK_GE(run.skip_lines.size(), run.victims_ticks.size());
  size_t logged = 0;
  for (auto& line : run.skip_lines) {
    INFO(line);
    auto pos = line.find("skipped ");
    REQUIRE_NE(pos, std::string::npos);
    logged += std::stoul(line.substr(pos + 8));
  }
  CHECK_EQ(logged, missing.size());
  MESSAGE(missing.size() << " ticks skipped by " << run.victims_ticks.size()
                         << " crashes, all logged");
}
