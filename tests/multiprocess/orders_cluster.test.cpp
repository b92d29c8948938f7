// The order-processing sample as real processes: three orders-node runners
// share one SQLite file and host the OrderProcessing workflow (shard group
// `workflow`) and the Payment and Shipping entities; orders-cli places
// orders and reads the Payment ledger. The runner executing an order is
// killed with -9 after it charged the payment and before it recorded the
// charge: the execution completes on another runner, the waiting client gets
// its receipt, and the ledger counts one charge. An order whose shipping
// fails is refunded by its compensation and returns the typed error.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "multiprocess/cluster.hpp"
#include "multiprocess/test_storage.hpp"
#include "multiprocess/process.hpp"

using namespace caf_cluster::multiprocess;

namespace {

const std::string orders_node = CAF_CLUSTER_ORDERS_NODE;
const std::string orders_cli = CAF_CLUSTER_ORDERS_CLI;

struct orders_fixture {
  // Members go in reverse: the processes (killed) before the storage and
  // the directory.
  temp_dir dir;
  test_storage db{dir};
  std::string storage = db.uri();
  process_group procs;
  std::vector<runner> runners;

  /// Starts 3 orders-node runners hosting both groups, each activity waiting
  /// `delay_ms` after its side effect, and waits until each holds 200 of the
  /// 600 shards.
  void start_cluster(int delay_ms) {
    for (int i = 0; i < 3; ++i)
      runners.push_back(
        start_node(procs, storage, 0,
                   {"--cluster.shard-groups=default,workflow",
                    "--activity-delay-ms", std::to_string(delay_ms)},
                   10s, orders_node));
    std::map<std::string, int> expected;
    for (auto& r : runners)
      expected[r.address] = 200;
    auto table = await_shard_counts(storage, expected, 15s);
    REQUIRE(to_string(table.counts) == to_string(expected));
  }

  /// Runs orders-cli with `args` to its end (at most 45 s).
  run_result cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--storage", storage});
    return run(orders_cli, with_test_transport(std::move(args)), 45s);
  }

  /// Index of the runner whose output has `text`, waiting up to `timeout`;
  /// -1 if none printed it by then.
  int runner_printing(const std::string& text, clock_type::duration timeout) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
      for (size_t i = 0; i < runners.size(); ++i) {
        runners[i].proc->drain();
        if (runners[i].proc->out().find(text) != std::string::npos)
          return static_cast<int>(i);
      }
      if (clock_type::now() >= deadline)
        return -1;
      std::this_thread::sleep_for(50ms);
    }
  }

  /// What every runner printed so far, for messages.
  std::string outputs() {
    std::string result;
    for (auto& r : runners) {
      r.proc->drain();
      result += "--- " + r.address + " stdout:\n" + r.proc->out()
        + "--- stderr:\n" + r.proc->err();
    }
    return result;
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("multiprocess.orders_cluster") {

  TEST_CASE_FIXTURE(orders_fixture,
                    "an order whose runner is killed with -9 after charging "
                    "completes on another runner and is charged once") {
    start_cluster(1000);
    auto& placing = procs.spawn(
      orders_cli, with_test_transport({"--storage", storage, "place", "o-kill",
                                       "4200", "--timeout-ms", "40000"}));
    auto started = clock_type::now();
    // The Payment entity has the charge; the workflow has not recorded it.
    auto victim = runner_printing("order o-kill: charged 4200 cents", 20s);
    REQUIRE_MESSAGE(victim >= 0, outputs());
    auto killed_at = clock_type::now();
    runners[victim].proc->signal(SIGKILL);
    REQUIRE(runners[victim].proc->wait(clock_type::now() + 5s));
    CHECK_FALSE(contains(runners[victim].proc->out(), "order o-kill: ship"));
    auto status = placing.wait(clock_type::now() + 40s);
    REQUIRE_MESSAGE(status, "orders-cli place did not end; " << outputs());
    INFO("orders-cli: " << placing.out() << placing.err());
    CHECK(status->exited_with(0));
    CHECK(placing.out()
          == "order o-kill: complete payment=pay-o-kill-1 tracking=trk-o-kill "
             "amount_cents=4200\n");
    MESSAGE("o-kill completed " << seconds_between(killed_at, clock_type::now())
                                << " s after the kill ("
                                << seconds_between(started, killed_at)
                                << " s before it)");
    // A survivor ran the rest: the charge again (no result was recorded),
    // answered from the stored reply of the same key, then the shipment.
    auto finisher = runner_printing("order o-kill: ship attempt 1 started", 1s);
    REQUIRE_MESSAGE(finisher >= 0, outputs());
    CHECK(finisher != victim);
    CHECK(contains(runners[finisher].proc->out(),
                   "order o-kill: charged 4200 cents, pay-o-kill-1"));
    auto ledger = cli({"ledger", "o-kill"});
    REQUIRE(ledger.status);
    CHECK(ledger.status->exited_with(0));
    CHECK(ledger.out
          == "order o-kill: charges=1 refunds=0 charged_cents=4200 "
             "refunded_cents=0\n");
    auto polled = cli({"status", "o-kill"});
    REQUIRE(polled.status);
    CHECK(polled.status->exited_with(0));
    CHECK(polled.out == placing.out());
  }

  TEST_CASE_FIXTURE(orders_fixture,
                    "an order whose shipping fails is refunded by its "
                    "compensation and returns the typed error") {
    start_cluster(0);
    const std::string failed
      = "order o-ship: failed shipping_failed: the carrier refused the "
        "parcel\n";
    auto placed = cli({"place", "o-ship", "1500", "--fail-shipping"});
    REQUIRE(placed.status);
    INFO("orders-cli: " << placed.out << placed.err << outputs());
    CHECK(placed.status->exited_with(3));
    CHECK(placed.out == failed);
    auto ledger = cli({"ledger", "o-ship"});
    REQUIRE(ledger.status);
    CHECK(ledger.out
          == "order o-ship: charges=1 refunds=1 charged_cents=1500 "
             "refunded_cents=1500\n");
    CHECK(runner_printing("order o-ship: compensation: refunded 1500 cents", 1s)
          >= 0);
    // Placing it again joins the finished execution: same outcome, nothing
    // charged or refunded again.
    auto again = cli({"place", "o-ship", "1500", "--fail-shipping"});
    REQUIRE(again.status);
    CHECK(again.status->exited_with(3));
    CHECK(again.out == failed);
    auto after = cli({"ledger", "o-ship"});
    REQUIRE(after.status);
    CHECK(after.out == ledger.out);
  }
}
