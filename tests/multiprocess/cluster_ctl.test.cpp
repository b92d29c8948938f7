// cluster-ctl against a live counter cluster: drain makes a runner leave as
// on SIGTERM (its process exits 0, the other runner takes every shard),
// forget is refused while a runner lives and removes it after kill -9, and
// the --json listing reads back with jq.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "multiprocess/cluster.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;

namespace {

run_result ctl(std::vector<std::string> args, const std::string& storage) {
  args.push_back("--storage");
  args.push_back(storage);
  return run(programs::cluster_ctl, std::move(args), 10s);
}

// `cluster-ctl runners --json` read with jq: "address state drain" lines.
std::string runners_via_jq(const std::string& storage) {
  auto res = run("/bin/sh",
                 {"-c",
                  "\"$0\" runners --json --storage \"$1\" | jq -r "
                  "'.runners[] | \"\\(.address) \\(.state) "
                  "\\(.drain_requested)\"'",
                  programs::cluster_ctl, storage},
                 10s);
  REQUIRE_MESSAGE(res.status, "cluster-ctl | jq hung");
  REQUIRE_MESSAGE(res.status->exited_with(0), res.err);
  return res.out;
}

// The jq lines of live, undrained `members`, sorted by address as listed.
std::string live_lines(const std::vector<runner>& members) {
  std::set<std::string> addresses;
  for (auto& r : members)
    addresses.insert(r.address);
  std::string result;
  for (auto& address : addresses)
    result += address + " live false\n";
  return result;
}

} // namespace

TEST_SUITE("multiprocess.cluster_ctl") {

  TEST_CASE_FIXTURE(runner_fixture,
                    "cluster-ctl drain makes a live runner hand its shards "
                    "over and exit 0") {
    start(2);
    settle();
    CHECK_EQ(runners_via_jq(storage), live_lines(runners));
    auto& leaving = runners[1];
    auto asked_at = clock_type::now();
    auto res = ctl({"drain", leaving.address}, storage);
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(0), res.err);
    CHECK_EQ(res.out,
             "drain requested for " + leaving.address
               + ": it leaves on its next lease refresh\n");
    auto status = leaving.proc->wait(asked_at + 10s);
    REQUIRE_MESSAGE(status, leaving.address << " still runs 10 s after drain");
    CHECK_MESSAGE(status->exited_with(0),
                  status->to_string() << ", stderr: " << leaving.proc->err());
    MESSAGE(leaving.address << " exited "
                            << seconds_between(asked_at, clock_type::now())
                            << " s after drain");
    auto after = await_shard_counts(storage, {{runners[0].address, 300}}, 10s);
    CHECK_EQ(to_string(after.counts), runners[0].address + "=300");
    // It unregistered: only the other runner is listed.
    CHECK_EQ(runners_via_jq(storage), runners[0].address + " live false\n");
  }

  TEST_CASE_FIXTURE(runner_fixture,
                    "cluster-ctl forget is refused while a runner lives and "
                    "removes it after kill -9") {
    start(2);
    settle();
    auto& victim = runners[1];
    auto refused = ctl({"forget", victim.address}, storage);
    REQUIRE(refused.status);
    CHECK(refused.status->exited_with(1));
    CHECK_EQ(refused.out, "");
    const auto prefix = "cluster-ctl: cannot forget: runner '" + victim.address
      + "' is alive (last heartbeat ";
    CHECK_MESSAGE(refused.err.rfind(prefix, 0) == 0, refused.err);
    CHECK_MESSAGE(refused.err.find("): stop it or drain it first\n")
                    != std::string::npos,
                  refused.err);
    CHECK(is_one_line(refused.err));
    victim.proc->signal(SIGKILL);
    REQUIRE(victim.proc->wait(clock_type::now() + 5s));
    // Refused until its last heartbeat is older than the lease duration.
    auto killed_at = clock_type::now();
    run_result res;
    while (clock_type::now() < killed_at + 10s) {
      res = ctl({"forget", victim.address}, storage);
      REQUIRE(res.status);
      if (!res.status->exited_with(1))
        break;
      std::this_thread::sleep_for(200ms);
    }
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(0), res.err);
    CHECK_EQ(res.out, "forgot " + victim.address + "\n");
    MESSAGE("forget accepted " << seconds_between(killed_at, clock_type::now())
                               << " s after kill -9");
    CHECK_EQ(runners_via_jq(storage), runners[0].address + " live false\n");
    auto after = await_shard_counts(storage, {{runners[0].address, 300}}, 10s);
    CHECK_EQ(to_string(after.counts), runners[0].address + "=300");
    auto again = ctl({"forget", victim.address}, storage);
    REQUIRE(again.status);
    CHECK(again.status->exited_with(1));
    CHECK_EQ(again.err,
             "cluster-ctl: cannot forget: no runner is registered "
             "at '"
               + victim.address + "'\n");
  }

} // TEST_SUITE
