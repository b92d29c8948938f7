// Bounded message storage on a runner (manual clock, deterministic
// scheduler): an every-second cron runs for a simulated week next to a keyed
// counter under load, with a retention of one hour. Message storage stays at
// about an hour's worth of rows, every tick runs exactly once (nothing
// unprocessed is deleted), and a duplicate key sent again within the hour is
// recognised (nothing unexpired is deleted). CAF_CLUSTER_RETENTION_DAYS=<n>
// sets the simulated days (7, or 1 in sanitizer builds).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf_cluster/cron/cluster_cron.hpp"
#include "caf_cluster/sharding.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/ledger_entity.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::cron;
using namespace caf_cluster::testing;

namespace {

constexpr int64_t second_ms = 1000;
constexpr int64_t hour_ms = 3'600'000;

#if defined(__SANITIZE_ADDRESS__)
constexpr int64_t default_days = 1;
#else
constexpr int64_t default_days = 7;
#endif

int64_t simulated_days() {
  if (auto env = std::getenv("CAF_CLUSTER_RETENTION_DAYS"))
    return std::max<int64_t>(1, std::atoll(env));
  return default_days;
}

sharding_config week_config() {
  auto cfg = cluster_fixture::default_config();
  cfg.lease_duration = 20s;
  cfg.lease_refresh_interval = 5s;
  cfg.refresh_assignments_interval = 10s;
  cfg.send_timeout = 30s;
  cfg.message_claim_timeout = 60s;
  cfg.message_retention = 1h;
  cfg.retention_sweep_interval = 1min;
  cfg.retention_batch_size = 200;
  return cfg;
}

struct table_rows {
  int64_t requests = 0;
  int64_t replies = 0;
  int64_t states = 0;
};

table_rows rows_of(storage::message_driver& d) {
  auto sizes = d.table_sizes();
  REQUIRE(sizes);
  table_rows result;
  for (auto& x : *sizes) {
    if (x.table == "cluster_requests")
      result.requests = x.rows;
    else if (x.table == "cluster_replies")
      result.replies = x.rows;
    else if (x.table == "cluster_entity_states")
      result.states = x.rows;
  }
  return result;
}

int64_t reply_of(const reply_slot& slot) {
  REQUIRE(slot->has_value());
  REQUIRE_MESSAGE(**slot, "no reply value");
  return ***slot;
}

} // namespace

TEST_CASE("a week of an every-second cron and a keyed counter stays within "
          "an hour's rows") {
  auto runs = std::make_shared<std::map<int64_t, int>>();
  auto late = std::make_shared<int64_t>(0); // the latest run, in ms
  auto setup = [runs, late](sharding& s, size_t) {
    auto every_second = cron_schedule::every(1s);
    REQUIRE(every_second);
    auto clock = s.clock();
    REQUIRE(!cluster_cron(
      s, "second", *every_second, [runs, late, clock](const cron_run& run) {
        ++(*runs)[run.scheduled_ms];
        *late = std::max(*late, clock->now_ms() - run.scheduled_ms);
      }));
  };
  cluster_fixture f{1, week_config(), setup};
  auto messages = f.message_storage();
  auto start = f.clock->now_ms();
  auto end = start + simulated_days() * 24 * hour_ms;
  // The load: every 10 s a keyed add of 1 to one of 8 ledgers; every minute
  // one key of 59 minutes ago is sent again and must be recognised.
  std::map<std::string, int64_t> expected; // ledger -> value
  struct sent {
    std::string ledger;
    std::string key;
    int64_t reply;
  };
  std::map<int64_t, sent> history; // minute -> the add sent then
  int64_t sends = 0;
  int64_t duplicates = 0;
  table_rows peak;
  int64_t samples = 0;
  for (int64_t now = start; now < end; now = f.clock->now_ms()) {
    auto elapsed = now - start;
    if (elapsed % (10 * second_ms) == 0) {
      auto n = elapsed / (10 * second_ms);
      auto ledger = "l-" + std::to_string(n % 8);
      auto key = "k-" + std::to_string(n);
      auto slot = f.send_ledger(0, ledger, keyed_add{1, key});
      f.run();
      auto value = reply_of(slot);
      CHECK_EQ(value, ++expected[ledger]);
      ++sends;
      if (elapsed % 60'000 == 0)
        history[elapsed / 60'000] = sent{ledger, key, value};
    }
    if (elapsed % 60'000 == 30'000) {
      auto minute = elapsed / 60'000;
      if (auto i = history.find(minute - 59); i != history.end()) {
        // Sent 59.5 minutes ago: within the hour, so the stored reply comes
        // back and the ledger stays as it is.
        auto slot = f.send_ledger(0, i->second.ledger,
                                  keyed_add{1, i->second.key});
        f.run();
        CHECK_EQ(reply_of(slot), i->second.reply);
        ++duplicates;
        history.erase(history.begin(), i);
      }
    }
    if (elapsed % (10 * 60'000) == 0 && elapsed > 0) {
      auto rows = rows_of(*messages);
      peak.requests = std::max(peak.requests, rows.requests);
      peak.replies = std::max(peak.replies, rows.replies);
      peak.states = std::max(peak.states, rows.states);
      ++samples;
      // After the first hour the tables hold about an hour of ticks (3,600)
      // and adds (360), never less than what the last 59 minutes produced.
      if (elapsed > 2 * hour_ms)
        CHECK_GE(rows.replies, 59 * 60 + 59 * 6);
    }
    f.advance(1s);
  }
  // Some ticks of an every-second cron run late (up to a few claim
  // timeouts, also without retention): let those up to the end run.
  for (int i = 0; i < 600; ++i)
    f.advance(1s);
  // Every second from the cron's first tick (once its singleton started) to
  // the end ran exactly once: a deleted unprocessed tick would end the chain
  // or leave a gap.
  runs->erase(runs->upper_bound(end), runs->end());
  REQUIRE(!runs->empty());
  auto first = runs->begin()->first;
  auto last = runs->rbegin()->first;
  int64_t twice = 0;
  std::string gaps; // the first few, relative to the start, for a failure
  int64_t previous = first - second_ms;
  for (auto& [at, n] : *runs) {
    if (n != 1)
      ++twice;
    if (at != previous + second_ms && gaps.size() < 200)
      gaps += " " + std::to_string((previous - start) / second_ms) + ".."
        + std::to_string((at - start) / second_ms);
    previous = at;
  }
  INFO("gaps (seconds after the start):" << gaps);
  CHECK_EQ(twice, 0);
  CHECK_LE(first - start, 5 * 60'000);
  CHECK_EQ(last, end);
  CHECK_EQ(static_cast<int64_t>(runs->size()), (last - first) / second_ms + 1);
  for (auto& [ledger, value] : expected) {
    auto stored = f.stored_ledger(ledger);
    REQUIRE(stored);
    CHECK_EQ(stored->value, value);
    CHECK_EQ(stored->applied, value);
  }
  // An hour's worth: 3,600 ticks and 360 adds, plus up to one sweep
  // interval (60 ticks, 6 adds) and a batch boundary of slack.
  auto bound = 3600 + 360 + 60 + 6 + 200;
  MESSAGE("simulated " << (end - start) / hour_ms << " h: " << runs->size()
                       << " ticks (first " << (first - start) / second_ms
                       << " s after the start, at most " << *late
                       << " ms late), " << sends << " keyed adds, "
                       << duplicates
                       << " duplicates recognised; peak rows: requests "
                       << peak.requests << ", replies " << peak.replies
                       << ", states " << peak.states << " over " << samples
                       << " samples (bound " << bound << ")");
  CHECK_LE(peak.requests, bound);
  CHECK_LE(peak.replies, bound);
  CHECK_GE(peak.replies, 3600 + 360 - 100);
  // Durable state never expires: the 8 ledgers.
  CHECK_EQ(rows_of(*messages).states, 8);
  CHECK_GT(duplicates, 0);
}
