// services-node: one runner of the services sample. Every runner registers
// the same singleton ("reporter") and the same cluster cron job
// ("heartbeat"); the cluster runs one reporter and each heartbeat tick once,
// and each process prints what runs on it:
//
//   [127.0.0.1:7101] singleton 'reporter' started
//   [127.0.0.1:7102] cron 'heartbeat' tick 2026-11-24T22:00:05Z
//
//   services-node --host 127.0.0.1 --port 7101 --storage sqlite:/tmp/s.db
//                 [--cron "<expression>"] [--ticks-db <file>]
//                 [--cluster.<key>=<value> ...]
//
// `--cron` defaults to every second (`* * * * * *`). With `--ticks-db` each
// tick also appends (scheduled time, runner) to table `ticks` of that SQLite
// file (the multi-process test reads it). SIGTERM or SIGINT leave gracefully.
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "caf/actor_system.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"

#include "caf_cluster/cron/cluster_cron.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/socket_transport.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

#include "node_args.hpp"

namespace {

int fail(int code, const std::string& what) {
  std::cerr << "services-node: " << what << std::endl;
  return code;
}

// One line per event; jobs of different ticks may print at once.
void say(const std::string& runner, const std::string& what) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  std::cout << "[" << runner << "] " << what << std::endl;
}

// Appends ticks to a SQLite table shared by the runner processes.
class tick_table {
public:
  explicit tick_table(const std::string& file)
    : db_(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    db_.setBusyTimeout(10'000);
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("CREATE TABLE IF NOT EXISTS ticks (scheduled_ms INTEGER NOT NULL, "
             "runner TEXT NOT NULL)");
  }

  void append(int64_t scheduled_ms, const std::string& runner) {
    std::lock_guard<std::mutex> guard{mtx_};
    SQLite::Statement insert{db_, "INSERT INTO ticks VALUES (?, ?)"};
    insert.bind(1, static_cast<int64_t>(scheduled_ms));
    insert.bind(2, runner);
    insert.exec();
  }

private:
  std::mutex mtx_;
  SQLite::Database db_;
};

using where_atom = caf::atom_constant<caf::atom("where")>;

// The singleton: says when it starts and stops on this runner, and answers
// `where` with its runner.
caf::behavior reporter(caf::event_based_actor* self, std::string runner) {
  say(runner, "singleton 'reporter' started");
  self->attach_functor(
    [runner] { say(runner, "singleton 'reporter' stopped"); });
  return {[runner](where_atom) { return runner; }};
}

} // namespace

int main(int argc, char** argv) {
  auto args = counter::split_args(argc, argv, {"host", "port", "storage",
                                               "cron", "ticks-db"});
  if (args.error)
    return fail(2, *args.error);
  if (!args.positional.empty())
    return fail(2, "unexpected argument '" + args.positional.front() + "'");
  auto host = args.flags.count("host") ? args.flags["host"] : "127.0.0.1";
  if (!args.flags.count("port"))
    return fail(2, "missing --port");
  if (!args.flags.count("storage"))
    return fail(2, "missing --storage (e.g. sqlite:/tmp/services.db)");
  auto schedule = caf_cluster::cron::cron_schedule::parse(
    args.flags.count("cron") ? args.flags["cron"] : "* * * * * *");
  if (!schedule)
    return fail(2, caf::to_string(schedule.error()));
  std::shared_ptr<tick_table> ticks;
  if (args.flags.count("ticks-db")) {
    try {
      ticks = std::make_shared<tick_table>(args.flags["ticks-db"]);
    } catch (const std::exception& e) {
      return fail(1, "--ticks-db: " + std::string{e.what()});
    }
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  counter::node_config cfg;
  if (auto err = counter::parse_rest(cfg, args))
    return fail(2, caf::to_string(err));
  if (cfg.cli_helptext_printed)
    return 0;
  auto scfg = cfg.sharding();
  if (!scfg)
    return fail(2, caf::to_string(scfg.error()));
  scfg->runner_address = host + ":" + args.flags["port"];
  scfg->storage = args.flags["storage"];
  if (auto err = scfg->validate())
    return fail(2, caf::to_string(err));
  caf::actor_system sys{cfg};
  // Cron ticks are persisted messages: message storage is required.
  auto drivers = caf_cluster::storage::open_cluster_storage(scfg->storage,
                                                            scfg->sqlite());
  if (!drivers)
    return fail(1, sys.render(drivers.error()));
  caf_cluster::runner_options opts;
  opts.storage = std::move(drivers->runners);
  opts.messages = std::move(drivers->messages);
  opts.transport = caf_cluster::make_socket_transport(sys);
  auto cluster = caf_cluster::sharding::make_runner(sys, std::move(*scfg),
                                                    std::move(opts));
  if (!cluster)
    return fail(1, sys.render(cluster.error()));
  auto me = cluster->config().runner_address;
  if (auto err = cluster->register_singleton(
        "reporter",
        [me](caf::event_based_actor* self) { return reporter(self, me); }))
    return fail(1, sys.render(err));
  auto job = [me, ticks](const caf_cluster::cron::cron_run& run) {
    if (ticks)
      ticks->append(run.scheduled_ms, run.runner);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    say(me, "cron '" + run.name + "' tick "
              + caf_cluster::cron::cron_tick_id(run.scheduled_ms) + " (ran "
              + std::to_string(now - run.scheduled_ms) + " ms after it)");
  };
  if (auto err = caf_cluster::cron::cluster_cron(*cluster, "heartbeat",
                                                 *schedule, job))
    return fail(1, sys.render(err));
  std::cout << "ready " << me << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  auto clean = cluster->await_shutdown(
    cluster->config().entity_termination_timeout + std::chrono::seconds{5});
  return clean ? 0 : 1;
}
