// Persisted Counter increments on a real cluster: three counter-node
// processes on 127.0.0.1 sharing one SQLite file for runner and message
// storage. Checks the acceptance: no increment lost or doubled while
// runners are killed with -9 and restarted under concurrent load (clients
// retry with the same key), and counter values that survive a restart of
// the whole cluster, with old keys still deduplicated afterwards.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "caf/error.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

#include "multiprocess/cluster.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;

namespace {

struct persisted_fixture : runner_fixture {
  /// Starts 3 runners, waits until they share the shards, connects the
  /// in-process client and returns the ids `counter-0`.. of `counters`.
  std::vector<std::string> start_cluster(int counters) {
    start(3);
    settle();
    client = std::make_unique<client_node>(storage);
    std::vector<std::string> ids;
    for (int i = 0; i < counters; ++i)
      ids.push_back("counter-" + std::to_string(i));
    return ids;
  }

  /// Reads what the runners wrote so far, so that no pipe fills up and
  /// blocks a runner that logs a lot during failover.
  void drain_runners() {
    for (auto& r : runners)
      r.proc->drain();
  }

  /// The stderr of every runner process started so far, for messages.
  std::string runner_errors() {
    std::string result;
    for (auto& r : runners) {
      r.proc->drain();
      if (!r.proc->err().empty())
        result += r.address + ": " + r.proc->err() + "\n";
    }
    return result.empty() ? "(none)" : result;
  }
};

/// "timeout", "runner_unavailable", ... for cluster errors, the rendered
/// error otherwise; for counting errors by kind.
std::string error_kind(client_node& client, const caf::error& err) {
  if (err.category() == caf_cluster::errc_category)
    return caf_cluster::to_string(static_cast<caf_cluster::errc>(err.code()));
  return client.render(err);
}

/// Repeats `f` (an ask returning caf::expected<int64_t>) until it succeeds or
/// `deadline` passes; returns the last result.
template <class F>
caf::expected<int64_t> ask_until(clock_type::time_point deadline, F f) {
  for (;;) {
    auto result = f();
    if (result || clock_type::now() >= deadline)
      return result;
    std::this_thread::sleep_for(50ms);
  }
}

/// Joins its threads at scope exit, after raising `stop`, also when a
/// REQUIRE in the controlling thread threw.
struct worker_threads {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;

  ~worker_threads() {
    join();
  }

  void join() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable())
        t.join();
  }
};

// -- zero loss ----------------------------------------------------------------

constexpr int zl_counters = 100;
constexpr int zl_sends = 20'000;
constexpr int zl_threads = 24;
constexpr int zl_kills = 2;
constexpr int zl_resend_every = 10;
// How long runner 1 stays down after each kill -9: back at once, and back
// after its leases lapsed (lease-duration 2 s) and the survivors took over.
constexpr clock_type::duration zl_restart_delay[zl_kills] = {0s, 3s};
// Each ask gives up after this; the sender then retries with the same key.
// Not longer than a failover after kill -9 (the dead runner's leases lapse
// after 2 s), so asks waiting for the victim's shards may time out and be
// retried with the same key while their first send is stored or processed.
constexpr auto zl_ask_timeout = 2s;
// The whole send phase must end by then (the test's ctest timeout is 60 s).
constexpr auto zl_send_budget = 45s;

/// What the senders saw, shared between them and the controlling thread.
struct zero_loss_log {
  std::mutex mtx;
  /// Every reply per counter: the counter's value right after that key's
  /// increment (the stored reply again for a retried key).
  std::vector<std::vector<int64_t>> replies
    = std::vector<std::vector<int64_t>>(zl_counters);
  /// Failed asks by error kind.
  std::map<std::string, int> errors;
  /// Keys given up on at the deadline.
  std::vector<std::string> abandoned;
  /// When each kill happened (unset: not yet).
  std::optional<clock_type::time_point> killed_at[zl_kills];
  /// Per kill and counter: when the first ask started after the kill
  /// succeeded (unset: none yet).
  std::vector<std::optional<clock_type::time_point>> first_after[zl_kills];
  /// The last successful reply and the longest time between two of them.
  clock_type::time_point last_success;
  clock_type::duration longest_gap{0};

  /// Resent keys whose reply differed from the first one.
  std::vector<std::string> mismatches;

  zero_loss_log() {
    for (auto& xs : first_after)
      xs.resize(zl_counters);
  }

  void success(int counter, clock_type::time_point started, int64_t value,
               bool resend) {
    auto now = clock_type::now();
    std::lock_guard<std::mutex> guard{mtx};
    if (!resend)
      replies[counter].push_back(value);
    for (int k = 0; k < zl_kills; ++k)
      if (killed_at[k] && started >= *killed_at[k] && !first_after[k][counter])
        first_after[k][counter] = now;
    longest_gap = std::max(longest_gap, now - last_success);
    last_success = now;
  }

  void failure(const std::string& kind) {
    std::lock_guard<std::mutex> guard{mtx};
    ++errors[kind];
  }

  /// "timeout 3, runner_unavailable 24" or "no errors".
  std::string error_summary() {
    std::lock_guard<std::mutex> guard{mtx};
    std::string result;
    for (auto& [what, count] : errors) {
      if (!result.empty())
        result += ", ";
      result += what + " " + std::to_string(count);
    }
    return result.empty() ? "no errors" : result;
  }
};

} // namespace

TEST_SUITE("multiprocess.persisted_cluster") {

  TEST_CASE_FIXTURE(persisted_fixture,
                    "zero loss: 20,000 keyed increments from concurrent "
                    "clients while a runner is killed with -9 and restarted "
                    "twice") {
    auto ids = start_cluster(zl_counters);
    // Send n goes to counter n % 100 with key "k<n>": 200 keys per counter.
    zero_loss_log log;
    std::atomic<int> next{0};
    std::atomic<int> answered{0};
    std::atomic<int> retries{0};
    std::atomic<int> resent{0};
    auto started = clock_type::now();
    auto deadline = started + zl_send_budget;
    log.last_success = started;
    worker_threads workers;
    // Sends increment{1, key} to counter i until it is answered; nullopt when
    // the deadline passed first (the key is then listed as abandoned).
    auto send = [&](int i, const std::string& key,
                    bool resend) -> std::optional<int64_t> {
      for (;;) {
        if (workers.stop || clock_type::now() >= deadline) {
          std::lock_guard<std::mutex> guard{log.mtx};
          log.abandoned.push_back(ids[i] + "/" + key);
          return std::nullopt;
        }
        auto attempt_started = clock_type::now();
        auto value = client->increment(ids[i], 1, key, zl_ask_timeout);
        if (value) {
          log.success(i, attempt_started, *value, resend);
          return *value;
        }
        ++retries;
        log.failure(error_kind(*client, value.error()));
        // Errors that come back at once (no runner serves the shard yet)
        // must not turn into a busy loop.
        std::this_thread::sleep_for(20ms);
      }
    };
    auto sender = [&] {
      for (;;) {
        auto n = next.fetch_add(1);
        if (n >= zl_sends)
          return;
        auto counter = n % zl_counters;
        auto key = "k" + std::to_string(n);
        auto value = send(counter, key, false);
        if (!value)
          continue;
        ++answered;
        // Every 10th key is sent once more after its reply, as by a client
        // that lost the reply: it must get the same reply and add nothing.
        if (n % zl_resend_every == 0) {
          if (auto again = send(counter, key, true)) {
            ++resent;
            if (*again != *value) {
              std::lock_guard<std::mutex> guard{log.mtx};
              log.mismatches.push_back(ids[counter] + "/" + key + " answered "
                                       + std::to_string(*value) + ", resent "
                                       + std::to_string(*again));
            }
          }
        }
      }
    };
    for (int i = 0; i < zl_threads; ++i)
      workers.threads.emplace_back(sender);
    // The controller: kill -9 runner 1 after a third and after two thirds of
    // the sends were answered and restart it on its port: the first time at
    // once (the restarted process registers the same address while the dead
    // incarnation's leases still run), the second time only after the
    // survivors took its shards over (its leases lapsed, asks for them
    // waited or timed out meanwhile), so the shards move back under load.
    //
    // Recovery time of a kill: from the kill until every counter whose shard
    // the victim held answered an ask *started after the kill* (asks started
    // before may have been answered just before the process died). Every
    // counter gets sends until the end, so each one is measured. Also
    // printed: the longest time the whole run went without any reply.
    auto& victim = runners[1];
    std::vector<std::string> recoveries;
    std::vector<std::vector<int>> victim_counters(zl_kills);
    for (int k = 0; k < zl_kills; ++k) {
      auto threshold = zl_sends * (k + 1) / (zl_kills + 1);
      while (answered < threshold && clock_type::now() < deadline) {
        drain_runners();
        std::this_thread::sleep_for(10ms);
      }
      REQUIRE_MESSAGE(answered >= threshold,
                      "only " << answered.load() << " of " << zl_sends
                              << " sends answered after "
                              << seconds_between(started, clock_type::now())
                              << " s, errors: " << log.error_summary());
      auto table = read_shards(storage);
      REQUIRE(table);
      for (int i = 0; i < zl_counters; ++i) {
        auto holder = table->holders.find(client->shard_of(ids[i]));
        if (holder != table->holders.end() && holder->second == victim.address)
          victim_counters[k].push_back(i);
      }
      auto killed_at = clock_type::now();
      auto answered_then = answered.load();
      {
        std::lock_guard<std::mutex> guard{log.mtx};
        log.killed_at[k] = killed_at;
      }
      victim.proc->signal(SIGKILL);
      auto status = victim.proc->wait(clock_type::now() + 5s);
      REQUIRE_MESSAGE(status, victim.address << " still runs after kill -9");
      CHECK(status->signal == SIGKILL);
      auto restart_at = killed_at + zl_restart_delay[k];
      while (clock_type::now() < restart_at) {
        drain_runners();
        std::this_thread::sleep_for(10ms);
      }
      // Restart on the same port, while the dead process's connections
      // still linger on it (FIN-WAIT-2 / TIME-WAIT): the transport listens
      // with SO_REUSEADDR, so this must work.
      auto old_address = victim.address;
      victim = start_node(procs, storage, victim.port);
      CHECK_EQ(victim.address, old_address);
      recoveries.push_back(
        "kill " + std::to_string(k + 1) + " at " + std::to_string(answered_then)
        + " answered: " + std::to_string(victim_counters[k].size())
        + " counters on " + old_address + ", restarted as " + victim.address
        + " (ready "
        + std::to_string(seconds_between(killed_at, clock_type::now()))
        + " s after the kill)");
    }
    auto settled = [&] {
      std::lock_guard<std::mutex> guard{log.mtx};
      return answered + static_cast<int>(log.abandoned.size()) >= zl_sends;
    };
    while (!settled() && clock_type::now() < deadline + zl_ask_timeout + 2s) {
      drain_runners();
      std::this_thread::sleep_for(10ms);
    }
    workers.join();
    auto took = seconds_between(started, clock_type::now());
    // Recovery per kill (see above).
    for (int k = 0; k < zl_kills; ++k) {
      std::lock_guard<std::mutex> guard{log.mtx};
      double slowest = 0;
      int unanswered = 0;
      for (auto i : victim_counters[k]) {
        if (auto at = log.first_after[k][i])
          slowest = std::max(slowest, seconds_between(*log.killed_at[k], *at));
        else
          ++unanswered;
      }
      recoveries[k] += ", all its counters answered again "
        + (victim_counters[k].empty()
             ? std::string{"(n/a)"}
             : std::to_string(slowest) + " s after the kill");
      if (unanswered > 0)
        recoveries[k] += " (" + std::to_string(unanswered) + " never answered)";
      CHECK_MESSAGE(unanswered == 0, recoveries[k]);
    }
    for (auto& line : recoveries)
      MESSAGE(line);
    MESSAGE(answered.load()
            << " of " << zl_sends << " sends answered in " << took << " s ("
            << zl_threads << " threads, " << zl_counters << " counters), "
            << resent.load() << " keys resent after their reply, "
            << retries.load() << " retries (" << log.error_summary()
            << "), longest time without any reply: "
            << std::chrono::duration<double>(log.longest_gap).count() << " s");
    if (!log.abandoned.empty())
      FAIL_CHECK(log.abandoned.size() << " keys abandoned at the deadline, "
                                      << "e.g. " << log.abandoned.front());
    CHECK(answered.load() == zl_sends);
    for (auto& line : log.mismatches)
      FAIL_CHECK("a resent key got another reply: " << line);
    // Exactly once per key: the replies of one counter's 200 keys are its
    // values after each of them, so they are 1..200, each once. A doubled
    // increment shows as a gap, a lost one (or a value that went back after a
    // kill) as a repeated number.
    for (int i = 0; i < zl_counters; ++i) {
      auto xs = log.replies[i];
      std::sort(xs.begin(), xs.end());
      std::vector<int64_t> expected(xs.size());
      for (size_t j = 0; j < expected.size(); ++j)
        expected[j] = static_cast<int64_t>(j) + 1;
      if (xs != expected) {
        std::ostringstream anomalies;
        for (size_t j = 0; j < xs.size(); ++j) {
          if (j > 0 && xs[j] == xs[j - 1])
            anomalies << " repeated " << xs[j];
          else if (xs[j] != (j == 0 ? 1 : xs[j - 1] + 1))
            anomalies << " jump to " << xs[j];
        }
        FAIL_CHECK(ids[i] << " replied " << xs.size()
                          << " values that are not 1.." << xs.size() << ":"
                          << anomalies.str());
      }
    }
    // Every counter holds exactly the number of distinct keys sent to it.
    auto check_deadline = clock_type::now() + 20s;
    int64_t total = 0;
    for (int i = 0; i < zl_counters; ++i) {
      auto value = ask_until(check_deadline, [&] {
        return client->get(ids[i], 3s);
      });
      REQUIRE_MESSAGE(value, ids[i] << ": " << client->render(value.error()));
      CHECK_MESSAGE(*value == zl_sends / zl_counters,
                    ids[i] << " holds " << *value << " instead of "
                           << zl_sends / zl_counters);
      total += *value;
    }
    CHECK(total == zl_sends);
    MESSAGE("runner stderr: " << runner_errors());
  }

  TEST_CASE_FIXTURE(persisted_fixture,
                    "values and keys survive a restart of the whole "
                    "cluster") {
    constexpr int num_counters = 30;
    auto ids = start_cluster(num_counters);
    // Counter i: i + 1 under key "first-i", then 100 under "second-i", and
    // a scheduled 1000 that is still pending when the cluster dies.
    constexpr int64_t scheduled = 1000;
    auto value_of = [](int i) {
      return static_cast<int64_t>(i) + 101 + scheduled;
    };
    for (int i = 0; i < num_counters; ++i) {
      auto first = client->increment(ids[i], i + 1, "first-" + ids[i], 5s);
      REQUIRE_MESSAGE(first, ids[i] << ": " << client->render(first.error()));
      CHECK(*first == i + 1);
      auto second = client->increment(ids[i], 100, "second-" + ids[i], 5s);
      REQUIRE_MESSAGE(second, ids[i] << ": " << client->render(second.error()));
      CHECK(*second == value_of(i) - scheduled);
      // The same key again: the stored reply, nothing added.
      auto again = client->increment(ids[i], i + 1, "first-" + ids[i], 5s);
      REQUIRE_MESSAGE(again, ids[i] << ": " << client->render(again.error()));
      CHECK(*again == i + 1);
    }
    // Scheduled increments, due well after the restart: they wait in storage.
    auto messages = caf_cluster::storage::open_cluster_storage(storage);
    REQUIRE(messages);
    auto pending = [&] {
      int64_t n = 0;
      if (auto counts = messages->messages->pending_counts())
        for (auto& x : *counts)
          n += x.count;
      return n;
    };
    auto due = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count()
               + 6'000;
    for (int i = 0; i < num_counters; ++i)
      client->increment_at(ids[i], scheduled, "scheduled-" + ids[i], due);
    for (int k = 0; k < 500 && pending() < num_counters; ++k)
      std::this_thread::sleep_for(10ms);
    REQUIRE(pending() == num_counters);
    // Kill all three at once (no runner gets to hand anything over or save
    // anything on the way out), then start three new ones on free ports.
    for (auto& r : runners)
      r.proc->signal(SIGKILL);
    for (auto& r : runners) {
      auto status = r.proc->wait(clock_type::now() + 5s);
      REQUIRE_MESSAGE(status, r.address << " still runs after kill -9");
      CHECK(status->signal == SIGKILL);
    }
    auto restarted_at = clock_type::now();
    auto before = std::move(runners);
    runners.clear();
    start(3);
    // The dead runners' leases lapse (lease-duration 2s), then the new ones
    // split the shards.
    settle();
    MESSAGE("whole cluster restarted, 100/100/100 after "
            << seconds_between(restarted_at, clock_type::now()) << " s");
    // The new runners deliver the scheduled increments when they are due.
    for (int k = 0; k < 2000 && pending() > 0; ++k)
      std::this_thread::sleep_for(10ms);
    CHECK(pending() == 0);
    MESSAGE("the pending scheduled increments were delivered "
            << seconds_between(restarted_at, clock_type::now())
            << " s after the restart (due 6 s after they were sent)");
    // The client of before (its own process, never restarted) reaches every
    // counter through the new runners, which restore the stored values.
    auto rec = await_answers(*client, ids, restarted_at,
                             clock_type::now() + 15s, 2s);
    MESSAGE("every counter answered " << rec.seconds << " s after the restart");
    for (auto& [id, error] : rec.missing)
      FAIL_CHECK(id << " never answered after the restart: " << error);
    for (int i = 0; i < num_counters; ++i) {
      auto found = rec.values.find(ids[i]);
      if (found != rec.values.end())
        CHECK_MESSAGE(found->second == value_of(i),
                      ids[i] << " holds " << found->second
                             << " after the restart instead of "
                             << value_of(i));
    }
    // Old keys still count once: their stored replies come back, nothing is
    // added. A new key adds.
    auto deadline = clock_type::now() + 20s;
    for (int i = 0; i < num_counters; ++i) {
      auto second = ask_until(deadline, [&] {
        return client->increment(ids[i], 100, "second-" + ids[i], 3s);
      });
      REQUIRE_MESSAGE(second, ids[i] << ": " << client->render(second.error()));
      CHECK_MESSAGE(*second == value_of(i) - scheduled,
                    ids[i] << ": old key second- answered " << *second);
      auto first = ask_until(deadline, [&] {
        return client->increment(ids[i], i + 1, "first-" + ids[i], 3s);
      });
      REQUIRE_MESSAGE(first, ids[i] << ": " << client->render(first.error()));
      CHECK_MESSAGE(*first == i + 1,
                    ids[i] << ": old key first- answered " << *first);
      auto value = ask_until(deadline, [&] {
        return client->get(ids[i], 3s);
      });
      REQUIRE_MESSAGE(value, ids[i] << ": " << client->render(value.error()));
      CHECK_MESSAGE(*value == value_of(i),
                    ids[i] << " holds " << *value << " after resending old "
                           << "keys instead of " << value_of(i));
      auto third = ask_until(deadline, [&] {
        return client->increment(ids[i], 1, "third-" + ids[i], 3s);
      });
      REQUIRE_MESSAGE(third, ids[i] << ": " << client->render(third.error()));
      CHECK(*third == value_of(i) + 1);
      // Sent again, a delivered scheduled key adds nothing either.
      auto again_scheduled = ask_until(deadline, [&] {
        return client->increment(ids[i], scheduled, "scheduled-" + ids[i], 3s);
      });
      REQUIRE(again_scheduled);
      CHECK(*again_scheduled == value_of(i));
    }
    MESSAGE("runner stderr: " << runner_errors());
    std::swap(runners, before);
    MESSAGE("stderr of the runners before the restart: " << runner_errors());
  }

} // TEST_SUITE
