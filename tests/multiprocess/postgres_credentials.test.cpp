// PostgreSQL credentials of runners and cluster-ctl: the password comes from
// the environment (PGPASSWORD) or a password file named in the URI, never
// from the command line, and shows up neither in /proc/<pid>/cmdline nor in
// the runner's log; a URI carrying a password is refused, saying where
// passwords go, without echoing it.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>

#include "multiprocess/cluster.hpp"
#include "multiprocess/process.hpp"
#include "multiprocess/test_storage.hpp"

using namespace caf_cluster::multiprocess;

namespace {

std::string cmdline_of(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/cmdline"};
  std::ostringstream text;
  text << in.rdbuf();
  auto result = text.str();
  for (auto& c : result)
    if (c == '\0')
      c = ' ';
  return result;
}

// The environment of a child that must find its password elsewhere.
std::vector<std::string> without_password() {
  auto env = environment_without({"PGPASSWORD", "PGPASSFILE"});
  // libpq's own ~/.pgpass must not help either.
  env.push_back("PGPASSFILE=/nonexistent/pgpass");
  return env;
}

// A copy of the server's password with mode `mode`.
std::string password_file(const temp_dir& dir, mode_t mode) {
  auto path = dir.file("pgpass-" + std::to_string(mode));
  std::ofstream{path} << test_postgres_server().password << "\n";
  ::chmod(path.c_str(), mode);
  return path;
}

// Starts a counter-node on `storage` with `env`, checks that it serves and
// that the password is neither on its command line nor in its output.
void check_runner_connects(const std::string& storage,
                           const spawn_options& spawn) {
  auto& password = test_postgres_server().password;
  process_group procs;
  node_options opts;
  opts.extra = {"--cluster.log-level=debug"};
  opts.spawn = spawn;
  auto node = start_node(procs, storage, opts);
  CHECK(cmdline_of(node.proc->pid()).find(password) == std::string::npos);
  CHECK(cmdline_of(node.proc->pid()).find("postgresql://") != std::string::npos);
  auto table = await_shard_counts(storage, {{node.address, 300}}, 15s);
  CHECK(table.counts[node.address] == 300);
  auto ctl = run(programs::cluster_ctl, {"runners", "--storage", storage}, 15s,
                 spawn);
  REQUIRE(ctl.status);
  CHECK_MESSAGE(ctl.status->exited_with(0), ctl.err);
  CHECK(ctl.out.find(node.address) != std::string::npos);
  CHECK(ctl.out.find(password) == std::string::npos);
  CHECK(ctl.err.find(password) == std::string::npos);
  node.proc->signal(SIGTERM);
  auto status = node.proc->wait(clock_type::now() + 20s);
  REQUIRE(status);
  CHECK(status->exited_with(0));
  INFO("runner output: " << node.proc->out() << node.proc->err());
  CHECK(node.proc->out().find(password) == std::string::npos);
  CHECK(node.proc->err().find(password) == std::string::npos);
  // The log did have something to say (the check above is not vacuous).
  CHECK(!node.proc->err().empty());
}

// Runs counter-node and cluster-ctl on `storage`; both must fail within the
// bound, with a message containing every one of `expected` and not the
// password.
void check_refused(const std::string& storage, const spawn_options& spawn,
                   const std::vector<std::string>& expected) {
  auto& password = test_postgres_server().password;
  auto node = run(programs::counter_node,
                  {"--host", "127.0.0.1", "--port",
                   std::to_string(pick_free_port()), "--storage", storage},
                  30s, spawn);
  auto ctl = run(programs::cluster_ctl, {"shards", "--storage", storage}, 30s,
                 spawn);
  for (auto* res : {&node, &ctl}) {
    REQUIRE_MESSAGE(res->status, "hung: " << res->err);
    CHECK_MESSAGE(!res->status->exited_with(0), res->out);
    for (auto& text : expected)
      CHECK_MESSAGE(res->err.find(text) != std::string::npos,
                    "'" << text << "' not in: " << res->err);
    CHECK(res->err.find(password) == std::string::npos);
    CHECK(res->out.find(password) == std::string::npos);
  }
}

} // namespace

TEST_SUITE("multiprocess.postgres.credentials") {

  TEST_CASE("a runner and cluster-ctl given the password through PGPASSWORD "
            "connect and never show it") {
    temp_dir dir;
    test_storage db{dir, true};
    check_runner_connects(db.uri(), {});
  }

  TEST_CASE("a runner and cluster-ctl given a password-file connect and "
            "never show the password") {
    temp_dir dir;
    test_storage db{dir, true};
    spawn_options spawn;
    spawn.env = without_password();
    auto storage = with_option(db.uri(), "password-file="
                                           + password_file(dir, 0600));
    check_runner_connects(storage, spawn);
  }

  TEST_CASE("a URI with a password is refused, saying where passwords go") {
    temp_dir dir;
    test_storage db{dir, true};
    auto uri = db.uri();
    auto at = uri.find('@');
    REQUIRE(at != std::string::npos);
    auto with_password = uri.substr(0, at) + ":"
                         + test_postgres_server().password + uri.substr(at);
    check_refused(with_password, {}, {"PGPASSWORD", "password-file"});
  }

  TEST_CASE("a password file readable by others is refused, and no password "
            "at all fails naming the server, within the bound") {
    temp_dir dir;
    test_storage db{dir, true};
    spawn_options spawn;
    spawn.env = without_password();
    check_refused(with_option(db.uri(), "password-file="
                                          + password_file(dir, 0644)),
                  spawn, {"accessible by group or others", "chmod 600"});
    auto uri = test_postgres_server().uri;
    auto host_port = uri.substr(uri.find('@') + 1);
    host_port = host_port.substr(0, host_port.find('/'));
    check_refused(db.uri(), spawn, {host_port});
  }
}
