// Exactly-once writes of `activity_in_transaction` on SQLite message storage:
// one runner on CAF's test coordinator whose runner and message storage are
// a SQLite file, killed right after an activity's side effect and started
// again on the same file. A plain activity's insert (its own connection) is
// at-least-once: it happens again when the runner dies before the result is
// stored. An insert through the activity's transaction commits together with
// the recorded result, so it happens exactly once. The memory backend refuses
// transactional activities.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "caf/actor_system.hpp"
#include "caf/scheduler/test_coordinator.hpp"

#include "caf_cluster/internal/runtime.hpp"
#include "caf_cluster/internal/sharding_access.hpp"
#include "caf_cluster/memory_transport.hpp"
#include "caf_cluster/runner_options.hpp"
#include "caf_cluster/storage/sql_transaction.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"
#include "caf_cluster/testing/test_system_config.hpp"
#include "caf_cluster/wall_clock.hpp"

#include "deterministic/workflow_fixture.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing::wf;
using caf_cluster::workflow::execution_status;
using caf_cluster::workflow::step_kind;
namespace step_state = caf_cluster::workflow::step_state;

namespace {

// Two deposits into table `deposits` of the cluster's own SQLite file: one
// through a connection of its own (plain activity), one through the
// activity's transaction.
const job_workflow& deposits_def() {
  static const auto def
    = job_workflow("Deposits").idempotency_key([](const job& x) {
        return x.id;
      });
  return def;
}

int64_t rows(const std::string& path, const std::string& kind,
             const std::string& id) {
  SQLite::Database db{path, SQLite::OPEN_READONLY};
  SQLite::Statement q{db,
                      "SELECT COUNT(*) FROM deposits WHERE kind = ? AND "
                      "execution_id = ?"};
  q.bind(1, kind);
  q.bind(2, id);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

// One runner on a SQLite file, killed and started again on the same file.
class sqlite_runner {
public:
  sqlite_runner()
    : path_(std::filesystem::temp_directory_path()
            / ("caf-cluster-wf-" + std::to_string(::getpid()) + ".db")),
      cfg_([](caf::actor_system_config& cfg) {
        add_types(cfg);
      }),
      sys_(cfg_),
      sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())),
      clock_(std::make_shared<manual_wall_clock>(1'767'225'600'000)),
      network_(std::make_shared<memory_network>()) {
    std::filesystem::remove(path_);
    sched_.clock().current_time += std::chrono::hours(1);
    start();
    // The table the deposits go to, in the cluster's own database.
    SQLite::Database db{path_.string(),
                        SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
    db.exec(
      "CREATE TABLE IF NOT EXISTS deposits(kind TEXT, execution_id TEXT)");
    advance(2s);
  }

  ~sqlite_runner() {
    if (cluster_)
      cluster_->shutdown();
    sched_.run();
    for (int i = 0; i < 10'000 && sched_.clock().has_pending_timeout(); ++i) {
      sched_.clock().trigger_timeout();
      sched_.run();
    }
    cluster_.reset();
    sched_.run();
    std::filesystem::remove(path_);
    std::filesystem::remove(path_.string() + "-wal");
    std::filesystem::remove(path_.string() + "-shm");
  }

  void start() {
    sharding_config cfg = caf_cluster::testing::test_cluster::default_config();
    cfg.shards_per_group = 4;
    cfg.runner_address = "10.0.0.1:4000";
    runner_options opts;
    opts.storage = std::shared_ptr<storage::runner_driver>(
      std::move(*storage::make_sqlite_runner_driver(path_.string())));
    opts.messages = std::shared_ptr<storage::message_driver>(
      std::move(*storage::make_sqlite_message_driver(path_.string())));
    opts.transport = make_memory_transport(network_);
    opts.detach_storage_calls = false;
    opts.log = [](const log_record&) {};
    auto made = sharding::make_runner(sys_, std::move(cfg), std::move(opts),
                                      clock_);
    REQUIRE_MESSAGE(made,
                    (made ? std::string{} : caf::to_string(made.error())));
    cluster_.emplace(std::move(*made));
    workflow::engine e{*cluster_};
    auto w = w_;
    auto path = path_.string();
    auto err = e.add(
      deposits_def(),
      [w, path](workflow::context& ctx,
                const job&) -> workflow::outcome<std::string, wf_error> {
        auto id = ctx.execution_id();
        auto plain = ctx.activity("Plain", [w, path, id] {
          SQLite::Database db{path, SQLite::OPEN_READWRITE};
          SQLite::Statement ins{db, "INSERT INTO deposits VALUES ('plain', ?)"};
          ins.bind(1, id);
          ins.exec();
          return std::to_string(w->effect("Plain", id));
        });
        if (!plain)
          return workflow::fail(wf_error{caf::to_string(plain.error())});
        auto tx = ctx.activity_in_transaction(
          "Transactional", [w, id](storage::sql_transaction& t) {
            SQLite::Statement ins{t.database(),
                                  "INSERT INTO deposits VALUES ('tx', ?)"};
            ins.bind(1, id);
            ins.exec();
            return std::to_string(w->effect("Transactional", id));
          });
        if (!tx)
          return workflow::fail(wf_error{caf::to_string(tx.error())});
        return *plain + "," + *tx;
      });
    REQUIRE_MESSAGE(!err, caf::to_string(err));
    sched_.run();
  }

  void kill() {
    internal::simulate_crash(*internal::sharding_access::state(*cluster_));
    sched_.run();
  }

  void restart() {
    kill();
    cluster_.reset();
    sched_.run();
    start();
  }

  void advance(caf::timespan d) {
    for (; d.count() > 0; d -= 100ms) {
      clock_->advance_ms(100);
      sched_.clock().advance_time(100ms);
      sched_.run();
    }
  }

  // Runs single jobs until the world tripped.
  bool run_until_tripped() {
    for (int i = 0; i < 100'000 && !w_->tripped(); ++i)
      if (!sched_.try_run_once()) {
        clock_->advance_ms(1);
        sched_.clock().advance_time(1ms);
      }
    return w_->tripped();
  }

  void start_execution(const job& p) {
    auto client = cluster_->make_client(workflow::detail::execution_entity(
      deposits_def().name(), deposits_def().shard_group(),
      deposits_def().max_idle()));
    workflow::detail::wf_start x;
    x.payload = *workflow::detail::encode(sys_, p);
    client.tell(deposits_def().execution_id(p), x);
  }

  std::optional<workflow::execution_journal> journal(const std::string& id) {
    auto md = storage::make_sqlite_message_driver(path_.string());
    REQUIRE(md);
    auto bytes = (*md)->load_state(deposits_def().entity_type(), id);
    if (!bytes || !*bytes)
      return std::nullopt;
    auto x = decode_value<workflow::execution_journal>(sys_, **bytes);
    if (!x)
      return std::nullopt;
    return std::move(*x);
  }

  std::string path() const {
    return path_.string();
  }

  std::shared_ptr<world> w() const {
    return w_;
  }

private:
  std::filesystem::path path_;
  std::shared_ptr<world> w_ = std::make_shared<world>();
  caf_cluster::testing::test_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  std::shared_ptr<manual_wall_clock> clock_;
  std::shared_ptr<memory_network> network_;
  std::optional<sharding> cluster_;
};

} // namespace

TEST_CASE("workflow: on SQLite, writes through activity_in_transaction happen "
          "exactly once across a kill right after the side effect") {
  sqlite_runner f;
  auto w = f.w();
  SUBCASE("a plain activity's write is at-least-once") {
    job p{"plain"};
    auto id = deposits_def().execution_id(p);
    w->arm("Plain", id);
    f.start_execution(p);
    REQUIRE(f.run_until_tripped());
    f.restart();
    f.advance(15s);
    auto j = f.journal(id);
    REQUIRE(j);
    INFO(describe(j));
    CHECK_EQ(j->status, execution_status::complete);
    // Killed before its result was stored: it ran again.
    CHECK_EQ(w->count("Plain", id), 2);
    CHECK_EQ(rows(f.path(), "plain", id), 2);
    CHECK_EQ(rows(f.path(), "tx", id), 1);
  }
  SUBCASE("a transactional activity's write is exactly once") {
    job p{"tx"};
    auto id = deposits_def().execution_id(p);
    w->arm("Transactional", id);
    f.start_execution(p);
    REQUIRE(f.run_until_tripped());
    f.restart();
    f.advance(15s);
    auto j = f.journal(id);
    REQUIRE(j);
    INFO(describe(j));
    CHECK_EQ(j->status, execution_status::complete);
    CHECK_EQ(
      steps_of(*j, step_kind::activity, "Transactional/1", step_state::ok), 1u);
    // Killed right after its write: the write committed with the result,
    // so it neither ran again nor was lost.
    CHECK_EQ(w->count("Transactional", id), 1);
    CHECK_EQ(rows(f.path(), "tx", id), 1);
    CHECK_EQ(rows(f.path(), "plain", id), 1);
  }
}

TEST_CASE("workflow: the memory backend refuses activity_in_transaction with "
          "errc::unsupported, recorded as the activity's failure") {
  wf_cluster f;
  job p{"memory-tx"};
  auto id = transactional_def().execution_id(p);
  auto x = f.await(f.execute(0, transactional_def(), p));
  REQUIRE(x);
  REQUIRE(x->ok());
  CHECK_EQ(x->value(), "refused");
  auto j = f.journal(transactional_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  REQUIRE_EQ(j->steps.size(), 1u);
  CHECK_EQ(j->steps[0].state, step_state::failed);
  CHECK_EQ(j->steps[0].error, errc::unsupported);
  CHECK_EQ(f.w->count("Transactional", id), 0);
}
