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
// tick also appends (scheduled time, runner, time it ran) to table `ticks` of
// that SQLite file (the multi-process tests read it). SIGTERM or SIGINT leave
// gracefully.
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"

#include "caf_cluster/cron/cluster_cron.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/node/run_node.hpp"
#include "caf_cluster/sharding.hpp"


namespace {

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
             "runner TEXT NOT NULL, ran_ms INTEGER NOT NULL)");
  }

  void append(int64_t scheduled_ms, const std::string& runner,
              int64_t ran_ms) {
    std::lock_guard<std::mutex> guard{mtx_};
    SQLite::Statement insert{db_, "INSERT INTO ticks VALUES (?, ?, ?)"};
    insert.bind(1, static_cast<int64_t>(scheduled_ms));
    insert.bind(2, runner);
    insert.bind(3, static_cast<int64_t>(ran_ms));
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
  self->attach_functor([runner] {
    say(runner, "singleton 'reporter' stopped");
  });
  return {[runner](where_atom) {
    return runner;
  }};
}

// What the flags select, prepared before the actor system starts (a bad
// value is a usage error, and the runner's shards do not wait for it).
struct services_setup {
  std::optional<caf_cluster::cron::cron_schedule> schedule;
  std::shared_ptr<tick_table> ticks;
};

caf::error prepare(const caf_cluster::node_args& args, services_setup& out) {
  auto schedule = caf_cluster::cron::cron_schedule::parse(
    args.get("cron", "* * * * * *"));
  if (!schedule)
    return std::move(schedule.error());
  out.schedule = std::move(*schedule);
  if (args.has("ticks-db")) {
    try {
      out.ticks = std::make_shared<tick_table>(args.get("ticks-db"));
    } catch (const std::exception& e) {
      return caf::make_error(caf_cluster::errc::invalid_argument,
                             "--ticks-db: " + std::string{e.what()});
    }
  }
  return caf::none;
}

caf::error start(caf_cluster::sharding& cluster, const services_setup& setup) {
  auto me = cluster.config().runner_address;
  if (auto err = cluster.register_singleton(
        "reporter", [me](caf::event_based_actor* self) {
          return reporter(self, me);
        }))
    return err;
  auto job = [me, ticks = setup.ticks](const caf_cluster::cron::cron_run& run) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    if (ticks)
      ticks->append(run.scheduled_ms, run.runner, now);
    say(me, "cron '" + run.name + "' tick "
              + caf_cluster::cron::cron_tick_id(run.scheduled_ms) + " (ran "
              + std::to_string(now - run.scheduled_ms) + " ms after it)");
  };
  return caf_cluster::cron::cluster_cron(cluster, "heartbeat", *setup.schedule,
                                         job);
}

} // namespace

int main(int argc, char** argv) {
  auto setup = std::make_shared<services_setup>();
  caf_cluster::node_program program;
  program.name = "services-node";
  program.summary = "One runner of the services sample: the 'reporter' "
                    "singleton and the 'heartbeat' cluster cron job.";
  program.flags = {
    {"cron", "EXPR",
     "cron expression of the heartbeat job (default: \"* * * * * *\", every "
     "second)"},
    {"ticks-db", "FILE", "also append each tick to table ticks of this SQLite "
                         "file"},
  };
  program.check = [setup](const caf_cluster::node_args& args) {
    return prepare(args, *setup);
  };
  program.start = [setup](caf_cluster::sharding& cluster,
                          const caf_cluster::node_args&) {
    return start(cluster, *setup);
  };
  return caf_cluster::run_node(argc, argv, program);
}
