// What the counter programs do with bad input and unusable surroundings:
// one line on stderr naming the problem, a non-zero exit, no hang, and the
// running cluster left alone.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include "multiprocess/cluster.hpp"

using namespace caf_cluster::multiprocess;

namespace {

/// Starts a counter-node that must fail; returns its output once it exited.
run_result run_failing_node(uint16_t port, const std::string& storage,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--host",    "127.0.0.1",
                                "--port",    std::to_string(port),
                                "--storage", storage};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(programs::counter_node, args, 10s);
}

/// Checks the contract of a refused start: no `ready`, a non-zero exit, and
/// exactly one `<program>: ` line on stderr.
void check_one_line_failure(const run_result& res, const std::string& program) {
  REQUIRE_MESSAGE(res.status,
                  program << " still ran after " << res.seconds
                          << " s; stderr: " << res.err);
  CHECK_MESSAGE(!res.status->exited_with(0), res.status->to_string());
  CHECK_MESSAGE(res.status->code.has_value(), res.status->to_string());
  CHECK(res.out.empty());
  CHECK_MESSAGE(is_one_line(res.err), "stderr: '" << res.err << "'");
  CHECK(res.err.rfind(program + ": ", 0) == 0);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("multiprocess.bad_input") {

  TEST_CASE("a second counter-node on a port in use names the address and "
            "exits") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto first = start_node(procs, storage);
    auto res = run_failing_node(first.port, storage);
    MESSAGE("stderr: " << res.err);
    check_one_line_failure(res, "counter-node");
    CHECK(contains(res.err, first.address));
    // The refused node neither registered nor took shards from the first one.
    auto table = await_shard_counts(storage, {{first.address, 300}}, 10s);
    CHECK(to_string(table.counts) == first.address + "=300");
  }

  TEST_CASE("a counter-node with an unusable SQLite path exits with one line") {
    auto res = run_failing_node(pick_free_port(),
                                "sqlite:/nonexistent-dir/x.db");
    MESSAGE("stderr: " << res.err);
    check_one_line_failure(res, "counter-node");
    CHECK(contains(res.err, "/nonexistent-dir/x.db"));
  }

  TEST_CASE("a runner with another cluster.shards-per-group is refused") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto first = start_node(procs, storage);
    auto res = run_failing_node(pick_free_port(), storage,
                                {"--cluster.shards-per-group=64"});
    MESSAGE("stderr: " << res.err);
    check_one_line_failure(res, "counter-node");
    CHECK(contains(res.err, "cluster.shards-per-group"));
    CHECK(contains(res.err, "64"));
    CHECK(contains(res.err, "300"));
    auto table = await_shard_counts(storage, {{first.address, 300}}, 10s);
    CHECK(to_string(table.counts) == first.address + "=300");
  }

  TEST_CASE("counter-cli without a live runner gives up within its send "
            "timeout") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    std::vector<std::string> args{
      "--storage", storage, "--cluster.send-timeout=2s", "get", "counter-1"};
    SUBCASE("the only runner left") {
      // A client refuses a missing file, so a runner creates it first.
      process_group procs;
      auto only = start_node(procs, storage);
      only.proc->signal(SIGTERM);
      REQUIRE(only.proc->wait(clock_type::now() + 20s));
    }
    SUBCASE("the only runner was killed a moment ago") {
      // Its registration and leases still look alive to the client.
      process_group procs;
      auto only = start_node(procs, storage);
      await_shard_counts(storage, {{only.address, 300}}, 10s);
      only.proc->signal(SIGKILL);
      REQUIRE(only.proc->wait(clock_type::now() + 5s));
    }
    auto res = run(programs::counter_cli, args, 10s);
    MESSAGE("after " << res.seconds << " s, stderr: " << res.err);
    check_one_line_failure(res, "counter-cli");
    CHECK(contains(res.err, "counter-1"));
    CHECK(res.seconds < 5.0);
  }

} // TEST_SUITE
