// The command line every program gets from run_node: `-h`/`--help` lists the
// program's flags and the cluster options and exits 0 without other flags; a
// bad flag is one line and exit 2; a client refuses a storage file that does
// not exist and fails at once when no runner is live; a runner prints its
// ready line and leaves with exit 0 on SIGTERM.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "multiprocess/cluster.hpp"

using namespace caf_cluster::multiprocess;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct program_help {
  std::string path;
  std::string name;
  std::vector<std::string> own_flags;
};

} // namespace

TEST_SUITE("multiprocess.node_cli") {

  TEST_CASE("-h and --help list the program's flags and the cluster options") {
    std::vector<program_help> programs_under_test{
      {programs::counter_node, "counter-node", {"--host", "--port", "--storage"}},
      {programs::counter_cli, "counter-cli", {"--storage", "get ID"}},
      {programs::counter_local, "counter-local", {"--storage"}},
      {programs::services_node,
       "services-node",
       {"--port", "--storage", "--cron EXPR", "--ticks-db FILE"}},
    };
    for (const auto& p : programs_under_test) {
      for (const char* flag : {"-h", "--help"}) {
        CAPTURE(p.name);
        CAPTURE(flag);
        auto res = run(p.path, {flag}, 10s);
        REQUIRE(res.status);
        CHECK_MESSAGE(res.status->exited_with(0), res.status->to_string());
        CHECK(res.err.empty());
        CHECK(res.out.rfind("usage: " + p.name, 0) == 0);
        CHECK(contains(res.out, "-h, --help"));
        for (const auto& own : p.own_flags)
          CHECK_MESSAGE(contains(res.out, own), own);
        CHECK(contains(res.out, "--cluster.shards-per-group"));
        CHECK(contains(res.out, "(default: 300)"));
        CHECK(contains(res.out, "--cluster.client-only"));
        CHECK(contains(res.out, "--cluster.storage"));
      }
    }
  }

  TEST_CASE("an unknown flag or a flag without its value is one line, exit 2") {
    struct bad_call {
      std::string path;
      std::vector<std::string> args;
      std::string message;
    };
    std::vector<bad_call> calls{
      {programs::counter_node, {"--bogus"}, "counter-node: unknown flag --bogus"},
      {programs::counter_node, {"-x"}, "counter-node: unknown flag -x"},
      {programs::counter_node, {"--port"}, "counter-node: missing value for --port"},
      {programs::counter_node,
       {"--storage", "memory"},
       "counter-node: missing --port"},
      {programs::counter_cli,
       {"--storage", "sqlite:/tmp/x.db", "frobnicate", "a"},
       "counter-cli: unknown command 'frobnicate'"},
      {programs::services_node,
       {"--port", "1", "--cron", "not a cron"},
       "services-node: "},
    };
    for (const auto& c : calls) {
      CAPTURE(c.message);
      auto res = run(c.path, c.args, 10s);
      REQUIRE(res.status);
      CHECK_MESSAGE(res.status->exited_with(2), res.status->to_string());
      CHECK(res.out.empty());
      CHECK_MESSAGE(is_one_line(res.err), res.err);
      CHECK_MESSAGE(res.err.rfind(c.message, 0) == 0, res.err);
    }
  }

  TEST_CASE("counter-cli refuses a storage file that does not exist at once") {
    temp_dir dir;
    auto path = dir.file("typo.db");
    auto res = run(programs::counter_cli,
                   {"--storage", "sqlite:" + path, "get", "counter-1"}, 10s);
    MESSAGE("after " << res.seconds << " s, stderr: " << res.err);
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(1), res.status->to_string());
    CHECK(is_one_line(res.err));
    CHECK(res.err.rfind("counter-cli: ", 0) == 0);
    CHECK(contains(res.err, "open_failed"));
    CHECK(contains(res.err, "no database at " + path));
    CHECK(res.seconds < 3.0);
    CHECK(!std::filesystem::exists(path));
  }

  TEST_CASE("a runner prints ready, leaves with exit 0 on SIGTERM, and a send "
            "then fails at once naming the storage") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto only = start_node(procs, storage);
    CHECK(only.proc->out() == "ready " + only.address + "\n");
    only.proc->signal(SIGTERM);
    auto status = only.proc->wait(clock_type::now() + 20s);
    REQUIRE(status);
    CHECK_MESSAGE(status->exited_with(0), status->to_string());
    // The send timeout is long: an answer within it proves the fast path.
    auto res = run(programs::counter_cli,
                   {"--storage", storage, "--cluster.send-timeout=30s", "get",
                    "counter-1"},
                   20s);
    MESSAGE("after " << res.seconds << " s, stderr: " << res.err);
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(1), res.status->to_string());
    CHECK(is_one_line(res.err));
    CHECK(contains(res.err, "runner_unavailable"));
    CHECK(contains(res.err, "Counter/counter-1"));
    CHECK(contains(res.err, "no live runner is registered in " + storage));
    CHECK(res.seconds < 5.0);
  }

} // TEST_SUITE
