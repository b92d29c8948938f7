// 200 seeded schedules of crashes (between and in the middle of handlers),
// restarts, graceful leaves and pauses while 5 executions of a workflow with
// 3 activities, a durable sleep and a deferred run on 3 runners. Afterwards
// every execution is complete and every activity's side effect (a keyed
// ledger in the outside world) happened exactly once per recorded result:
// the journaled result is the ledger's last run, so a completed activity
// never ran again; without crashes inside a handler, each ran exactly once.
#include <doctest/doctest.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

#include "deterministic/workflow_fixture.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing::wf;
using caf_cluster::workflow::execution_status;
using caf_cluster::workflow::step_kind;
namespace step_state = caf_cluster::workflow::step_state;

namespace {

struct seeded_stats {
  size_t executions = 0;
  size_t faults = 0;
  size_t mid_handler_crashes = 0;
  size_t tripped = 0; // crashes right after an activity's side effect
  size_t reruns = 0;  // side effects whose result was lost and ran again
};

class picker {
public:
  explicit picker(uint64_t seed) : rng_(seed) {
    // nop
  }

  size_t operator()(size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(rng_);
  }

private:
  std::mt19937_64 rng_;
};

constexpr size_t runners = 3;
constexpr size_t executions = 5;

void run_schedule(uint64_t seed, seeded_stats& stats) {
  picker pick{seed};
  wf_cluster f{runners};
  std::ostringstream log;
  auto& def = pipeline_def();
  std::vector<std::string> ids;
  std::vector<int> start_at;
  std::vector<int> complete_at;
  for (size_t k = 0; k < executions; ++k) {
    ids.push_back(def.execution_id(
      job{"s" + std::to_string(seed) + "-" + std::to_string(k)}));
    start_at.push_back(static_cast<int>(pick(24)));
    complete_at.push_back(start_at.back() + 8 + static_cast<int>(pick(16)));
  }
  auto any_up = [&]() -> std::optional<size_t> {
    std::vector<size_t> up;
    for (size_t r = 0; r < runners; ++r)
      if (f.c.up(r) && !f.c.paused(r))
        up.push_back(r);
    if (up.empty())
      return std::nullopt;
    return up[pick(up.size())];
  };
  // Sends what each execution needs next: its start until it has a journal,
  // its completion once it has one and its time came. Both are keyed, so a
  // repeated send is a duplicate.
  auto nudge = [&](int round) {
    for (size_t k = 0; k < executions; ++k) {
      auto via = any_up();
      if (!via)
        return;
      auto j = f.journal(def, ids[k]);
      if (!j && round >= start_at[k]) {
        f.start(*via, def,
                job{"s" + std::to_string(seed) + "-" + std::to_string(k)});
      } else if (j->status != execution_status::complete
                 && round >= complete_at[k]) {
        f.complete(*via, def, ids[k], "Go", "go");
      }
    }
  };
  bool mid_handler = false;
  for (int round = 0; round < 40; ++round) {
    nudge(round);
    if (pick(3) == 0) {
      ++stats.faults;
      auto r = pick(runners);
      switch (pick(5)) {
        case 0:
          log << "r" << round << " kill " << r << "; ";
          f.c.kill(r);
          break;
        case 1:
          log << "r" << round << " restart " << r << "; ";
          // The kit waits for a leaving runner to finish before it starts
          // it again, which a paused one never does: a stopped process is
          // killed before it is started again.
          if (f.c.paused(r))
            f.c.kill(r);
          f.c.restart(r);
          break;
        case 2:
          if (f.c.up(r)) {
            log << "r" << round << (f.c.paused(r) ? " thaw " : " pause ") << r
                << "; ";
            f.c.pause(r, !f.c.paused(r));
          }
          break;
        case 3: {
          // Inside a handler: the owner dies right after an activity's side
          // effect, before its result is stored (the wire trips on the
          // effect), or after a few single jobs if none comes. Only without
          // paused runners: single steps would run their actors.
          bool any_paused = false;
          for (size_t i = 0; i < runners; ++i)
            any_paused = any_paused || f.c.paused(i);
          if (any_paused)
            break;
          // Aims at the next activity of an execution, starting it if
          // it has not started yet.
          auto k = pick(executions);
          const char* names[] = {"A", "B", "C"};
          std::string name = names[pick(3)];
          auto j = f.journal(def, ids[k]);
          if (!j) {
            auto via = any_up();
            if (!via)
              break;
            name = "A";
            f.w->arm(name, ids[k]);
            f.start(*via, def,
                    job{"s" + std::to_string(seed) + "-" + std::to_string(k)},
                    false);
          } else {
            for (auto n : names)
              if (steps_of(*j, step_kind::activity, std::string{n} + "/1",
                           step_state::ok)
                  == 0) {
                name = n;
                break;
              }
            f.w->arm(name, ids[k]);
          }
          auto& sched = f.c.scheduler();
          size_t jobs = 0;
          for (; jobs < 400 && !f.w->tripped(); ++jobs)
            if (!sched.try_run_once()) {
              f.c.clock()->advance_ms(1);
              sched.clock().advance_time(std::chrono::milliseconds{1});
            }
          auto tripped = f.w->tripped();
          f.w->disarm();
          auto owner = f.owner(ids[k]);
          if (!owner)
            break;
          log << "r" << round << " kill " << *owner << " after " << jobs
              << " jobs" << (tripped ? " on " : " waiting for ") << name
              << " of " << k << "; ";
          f.c.kill(*owner);
          mid_handler = true;
          ++stats.mid_handler_crashes;
          stats.tripped += tripped ? 1 : 0;
          break;
        }
        default:
          log << "r" << round << " leave " << r << "; ";
          f.c.leave(r);
      }
    }
    f.c.advance(250ms);
    // At most one runner serves an execution's shard at any time.
    for (auto& id : ids) {
      INFO("seed " << seed << ": " << log.str());
      REQUIRE_LE(f.c.servers(id).size(), 1u);
    }
    if (std::getenv("CAF_CLUSTER_TRACE"))
      std::cerr << "TRACE " << log.str() << "\n";
  }
  INFO("seed " << seed << ": " << log.str());
  // Heal: every runner up, then keep nudging until all executions ended.
  for (size_t r = 0; r < runners; ++r) {
    if (f.c.paused(r))
      f.c.pause(r, false);
    if (!f.c.up(r))
      f.c.restart(r);
  }
  auto all_complete = [&] {
    for (auto& id : ids)
      if (f.status(def, id) != execution_status::complete)
        return false;
    return true;
  };
  for (int round = 100; round < 200 && !all_complete(); ++round) {
    nudge(round);
    f.c.advance(1s);
  }
  for (size_t k = 0; k < executions; ++k) {
    auto& id = ids[k];
    INFO("execution " << k << " " << id);
    auto j = f.journal(def, id);
    REQUIRE(j);
    INFO(describe(j));
    REQUIRE_EQ(j->status, execution_status::complete);
    std::string expected;
    for (auto name : {"A", "B", "C"}) {
      INFO("activity " << name);
      auto n = f.w->count(name, id);
      CHECK_GE(n, 1);
      std::optional<int> recorded;
      for (auto& s : j->steps)
        if (s.kind == step_kind::activity && s.name == std::string{name} + "/1"
            && s.state == step_state::ok) {
          CHECK(!recorded); // one result per activity
          auto v = workflow::detail::decode<std::string>(f.c.system(), s.value);
          REQUIRE(v);
          recorded = std::stoi(*v);
        }
      REQUIRE(recorded);
      // The recorded result is the last run: no run after it.
      CHECK_EQ(n, *recorded);
      if (!mid_handler)
        CHECK_EQ(n, 1);
      stats.reruns += static_cast<size_t>(n - 1);
      expected += std::to_string(*recorded) + ",";
    }
    auto r = workflow::detail::decode<std::string>(f.c.system(), j->result);
    REQUIRE(r);
    CHECK_EQ(*r, expected + "go");
    ++stats.executions;
  }
  CHECK(f.pending(def.entity_type()).empty());
}

} // namespace

TEST_CASE("workflow: seeded crashes, restarts and pauses; every execution "
          "completes and every recorded activity ran once per result") {
  uint64_t first = 1;
  uint64_t count = 200;
  if (auto x = std::getenv("CAF_CLUSTER_SEED")) {
    first = std::strtoull(x, nullptr, 10);
    count = 1;
  } else if (auto y = std::getenv("CAF_CLUSTER_SEEDS")) {
    count = std::strtoull(y, nullptr, 10);
  }
  seeded_stats stats;
  for (auto seed = first; seed < first + count; ++seed) {
    INFO("seed " << seed << " (replay with CAF_CLUSTER_SEED=" << seed << ")");
    run_schedule(seed, stats);
  }
  MESSAGE("seeds " << first << ".." << first + count - 1 << ": "
                   << stats.executions << " executions complete, "
                   << stats.faults << " faults (" << stats.mid_handler_crashes
                   << " inside handlers, " << stats.tripped
                   << " right after a side effect), " << stats.reruns
                   << " side effects re-run after a lost result");
}
