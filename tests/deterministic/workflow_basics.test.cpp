// The basics of durable workflows on one runner under CAF's deterministic
// scheduler: completion and joining, durable sleep and deferreds, interrupt
// with compensation, the determinism check and versioning with `patched`.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <unistd.h>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/scheduler/test_coordinator.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/memory_transport.hpp"
#include "caf_cluster/runner_options.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/sql_transaction.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"
#include "caf_cluster/testing/test_system_config.hpp"
#include "caf_cluster/wall_clock.hpp"
#include "caf_cluster/workflow.hpp"

using namespace caf_cluster;
using namespace std::chrono_literals;
namespace wf = caf_cluster::workflow;

namespace {

struct order {
  std::string id;
  int32_t amount = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order& x) {
  return f(caf::meta::type_name("wf_basics.order"), x.id, x.amount);
}

using flow = wf::workflow<order, std::string>;

flow make_flow(std::string name) {
  return flow(std::move(name)).idempotency_key([](const order& o) {
    return o.id;
  });
}

// In a shard group of its own, as workflows usually are.
const flow three = make_flow("three-steps").shard_group("workflows");
const flow waits = make_flow("sleep-and-wait");
const flow compensated = make_flow("compensated");
const flow changing = make_flow("changing");
const flow versioned = make_flow("versioned");
const flow booking = make_flow("booking");
const flow retained = make_flow("retained").retention(std::chrono::minutes{1});
const flow parent_of_three = make_flow("parent-of-three");
const flow parent_of_waits = make_flow("parent-of-waits");

// Side effects of activities, by name: what the workflows did for real.
std::map<std::string, int>& effects() {
  static std::map<std::string, int> xs;
  return xs;
}

// Which version of the code the "changing" and "versioned" bodies run.
int& code_version() {
  static int x = 1;
  return x;
}

struct wf_config : testing::test_system_config {
  wf_config()
    : test_system_config([](caf::actor_system_config& cfg) {
        for (auto* def : {&three, &waits, &compensated, &changing, &versioned,
                          &booking, &retained, &parent_of_three,
                          &parent_of_waits})
          wf::add_workflow_types(cfg, *def);
      }) {
    // nop
  }
};

wf::outcome<std::string, caf::error> three_body(wf::context& ctx,
                                                const order& o) {
  auto a = ctx.activity("validate", [&] {
    ++effects()["validate"];
    return o.amount > 0;
  });
  auto b = ctx.activity("charge", [&] {
    ++effects()["charge"];
    return o.amount;
  });
  auto c = ctx.activity("ship", [&] {
    ++effects()["ship"];
    return std::string{"parcel-" + o.id};
  });
  if (!a || !b || !c)
    return wf::fail(caf::make_error(errc::invalid_argument, "step failed"));
  return *c + "/" + std::to_string(*b);
}

wf::outcome<std::string, caf::error> waits_body(wf::context& ctx,
                                                const order& o) {
  ctx.activity("before", [] {
    ++effects()["before"];
  });
  ctx.sleep("nap", std::chrono::hours{1});
  auto approved = ctx.await(wf::deferred<int32_t>{"approval"});
  if (!approved)
    return wf::fail(approved.error());
  return o.id + ":" + std::to_string(*approved * 2);
}

wf::outcome<std::string, caf::error> compensated_body(wf::context& ctx,
                                                      const order&) {
  ctx.activity("charge", [] {
    ++effects()["charge"];
  });
  ctx.compensate("refund", [] {
    ++effects()["refund"];
  });
  ctx.activity("reserve", [] {
    ++effects()["reserve"];
  });
  ctx.compensate("release", [] {
    ++effects()["release"];
  });
  ctx.await(wf::deferred<int32_t>{"never"});
  return std::string{"unreachable"};
}

wf::outcome<std::string, caf::error> changing_body(wf::context& ctx,
                                                   const order&) {
  auto name = code_version() == 1 ? "old-step" : "new-step";
  ctx.activity(name, [] {});
  ctx.await(wf::deferred<int32_t>{"go"});
  return std::string{"done"};
}

wf::outcome<std::string, caf::error> versioned_body(wf::context& ctx,
                                                    const order&) {
  ctx.activity("first", [] {});
  std::string branch;
  if (code_version() >= 2 && ctx.patched("v2-fraud-check")) {
    ctx.activity("fraud-check", [] {
      ++effects()["fraud-check"];
    });
    branch = "new";
  } else {
    ctx.activity("legacy", [] {
      ++effects()["legacy"];
    });
    branch = "old";
  }
  ctx.await(wf::deferred<int32_t>{"go"});
  return branch;
}

// Books the order in the cluster's own database, in the transaction that
// records the activity's result.
wf::outcome<std::string, caf::error> booking_body(wf::context& ctx,
                                                  const order& o) {
  auto booked = ctx.activity_in_transaction(
    "book", [&](storage::sql_transaction& tx) -> caf::expected<int32_t> {
      auto& db = tx.database();
      db.exec("CREATE TABLE IF NOT EXISTS bookings (id TEXT PRIMARY KEY, "
              "amount INTEGER)");
      SQLite::Statement insert{db, "INSERT INTO bookings VALUES (?, ?)"};
      insert.bind(1, o.id);
      insert.bind(2, o.amount);
      insert.exec();
      ++effects()["book"];
      return o.amount;
    });
  if (!booked)
    return wf::fail(booked.error());
  auto after = ctx.activity("after", [] {
    ++effects()["after"];
  });
  return "booked " + std::to_string(*booked);
}

// Awaits a child of `def` with the same order.
wf::outcome<std::string, caf::error>
await_child(wf::context& ctx, const flow& def, const order& o) {
  auto r = ctx.child(def, o);
  if (!r)
    return wf::fail(r.error());
  if (!r->ok())
    return wf::fail(r->error());
  return "child said " + r->value();
}

template <class T>
using slot = std::shared_ptr<std::optional<T>>;

template <class T>
slot<T> make_slot() {
  return std::make_shared<std::optional<T>>();
}

// One runner with memory storage on the test coordinator; both clocks move
// together.
struct wf_fixture {
  wf_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched{
    dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())};
  std::shared_ptr<manual_wall_clock> clock{
    std::make_shared<manual_wall_clock>(1'767'225'600'000)};
  std::optional<sharding> cluster;
  std::optional<wf::engine> engine;

  explicit wf_fixture(std::string sqlite_path = {}) {
    effects().clear();
    code_version() = 1;
    sched.clock().current_time += std::chrono::hours(1);
    // A one-runner cluster on memory storage: workflows need message storage.
    auto store = storage::make_memory_runner_store();
    auto scfg = sharding_config{};
    scfg.runner_address = "runner-1:1";
    scfg.shard_groups = {"default", "workflows"};
    runner_options opts;
    opts.storage = storage::make_memory_runner_driver(store);
    if (sqlite_path.empty()) {
      opts.messages = storage::make_memory_message_driver(store);
    } else {
      // Runner and message storage in one file: leases fence the writes.
      auto runners = storage::make_sqlite_runner_driver(sqlite_path);
      REQUIRE(runners);
      opts.storage = std::move(*runners);
      auto driver = storage::make_sqlite_message_driver(sqlite_path);
      REQUIRE(driver);
      opts.messages = std::move(*driver);
    }
    opts.transport = make_memory_transport(std::make_shared<memory_network>());
    opts.detach_storage_calls = false;
    opts.log = [](const log_record&) {};
    auto made = sharding::make_runner(sys, std::move(scfg), std::move(opts),
                                      clock);
    REQUIRE(made);
    cluster.emplace(std::move(*made));
    engine.emplace(*cluster);
    auto err = engine->add(three, three_body);
    INFO(to_string(err));
    REQUIRE(!err);
    REQUIRE(!engine->add(waits, waits_body));
    REQUIRE(!engine->add(compensated, compensated_body));
    REQUIRE(!engine->add(changing, changing_body));
    REQUIRE(!engine->add(versioned, versioned_body));
    REQUIRE(!engine->add(booking, booking_body));
    REQUIRE(!engine->add(retained, three_body));
    REQUIRE(!engine->add(parent_of_three,
                         [](wf::context& ctx, const order& o) {
                           return await_child(ctx, three, o);
                         }));
    REQUIRE(!engine->add(parent_of_waits,
                         [](wf::context& ctx, const order& o) {
                           return await_child(ctx, waits, o);
                         }));
    for (int i = 0; i < 30; ++i)
      advance(100ms);
  }

  ~wf_fixture() {
    engine.reset();
    cluster->shutdown();
    cluster.reset();
    sched.run();
    for (int i = 0; i < 1000 && sched.clock().has_pending_timeout(); ++i) {
      sched.clock().trigger_timeouts();
      sched.run();
    }
  }

  void advance(caf::timespan d) {
    clock->advance_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    sched.clock().advance_time(d);
    sched.run();
  }

  // Moves time in 100 ms steps until `done()` or `limit` passed.
  template <class F>
  void advance_until(F done, caf::timespan limit = 60s) {
    for (caf::timespan t{0}; t < limit && !done(); t += 100ms)
      advance(100ms);
  }

  template <class F>
  void in_actor(F f) {
    sys.spawn([f](caf::event_based_actor* self) mutable {
      f(self);
    });
    sched.run();
  }

  slot<caf::expected<wf::outcome<std::string, caf::error>>>
  execute(const flow& def, order o) {
    auto result
      = make_slot<caf::expected<wf::outcome<std::string, caf::error>>>();
    auto cl = engine->make_client(def);
    in_actor([=](caf::event_based_actor* self) {
      cl.execute(
        self, o, 600s,
        [result](wf::outcome<std::string, caf::error>& x) {
          *result = x;
        },
        [result](caf::error& err) {
          *result = err;
        });
    });
    return result;
  }

  std::string start(const flow& def, order o) {
    auto result = make_slot<std::string>();
    auto cl = engine->make_client(def);
    in_actor([=](caf::event_based_actor* self) {
      cl.start(
        self, o, 10s,
        [result](std::string& id) {
          *result = id;
        },
        [](caf::error& err) {
          FAIL("start failed: " << to_string(err));
        });
    });
    advance_until([&] {
      return result->has_value();
    });
    REQUIRE(result->has_value());
    return **result;
  }

  wf::poll_result<std::string, caf::error> poll(const flow& def,
                                                const std::string& id) {
    auto result = make_slot<wf::poll_result<std::string, caf::error>>();
    auto cl = engine->make_client(def);
    in_actor([=](caf::event_based_actor* self) {
      cl.poll(
        self, id, 10s,
        [result](wf::poll_result<std::string, caf::error>& x) {
          *result = x;
        },
        [](caf::error& err) {
          FAIL("poll failed: " << to_string(err));
        });
    });
    advance_until([&] {
      return result->has_value();
    });
    REQUIRE(result->has_value());
    return **result;
  }

  void complete(const flow& def, const std::string& id, std::string name,
                int32_t value) {
    auto done = make_slot<bool>();
    auto token = wf::deferred_token{def.name(), id, std::move(name), ""};
    auto text = token.to_string();
    auto* e = &*engine;
    in_actor([=](caf::event_based_actor* self) {
      e->complete(
        self, text, value, 10s,
        [done] {
          *done = true;
        },
        [](caf::error& err) {
          FAIL("complete failed: " << to_string(err));
        });
    });
    advance_until([&] {
      return done->has_value();
    });
    REQUIRE(done->has_value());
  }

  void purge(const flow& def, const std::string& id) {
    auto done = make_slot<bool>();
    auto cl = engine->make_client(def);
    in_actor([=](caf::event_based_actor* self) {
      cl.purge(
        self, id, 10s,
        [done] {
          *done = true;
        },
        [](caf::error& err) {
          FAIL("purge failed: " << to_string(err));
        });
    });
    advance_until([&] {
      return done->has_value();
    });
    REQUIRE(done->has_value());
  }

  void interrupt(const flow& def, const std::string& id) {
    auto done = make_slot<bool>();
    auto cl = engine->make_client(def);
    in_actor([=](caf::event_based_actor* self) {
      cl.interrupt(
        self, id, 10s,
        [done] {
          *done = true;
        },
        [](caf::error& err) {
          FAIL("interrupt failed: " << to_string(err));
        });
    });
    advance_until([&] {
      return done->has_value();
    });
    REQUIRE(done->has_value());
  }
};

// The fixture on SQLite message storage in a fresh file.
struct wf_sqlite_fixture : wf_fixture {
  static std::string fresh_path() {
    auto path = std::filesystem::temp_directory_path()
      / ("wf-basics-" + std::to_string(::getpid()) + ".db");
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path.string() + suffix);
    return path.string();
  }

  wf_sqlite_fixture() : wf_fixture(fresh_path()) {
    // nop
  }

  // Counts the rows the activity wrote, through a connection of our own.
  int bookings() {
    SQLite::Database db{fresh_path_of_this(), SQLite::OPEN_READONLY};
    SQLite::Statement q{db, "SELECT COUNT(*) FROM bookings"};
    REQUIRE(q.executeStep());
    return q.getColumn(0).getInt();
  }

  static std::string fresh_path_of_this() {
    return (std::filesystem::temp_directory_path()
            / ("wf-basics-" + std::to_string(::getpid()) + ".db"))
      .string();
  }
};

} // namespace

TEST_SUITE_BEGIN("workflow.basics");

TEST_CASE_FIXTURE(wf_fixture,
                  "a 3-activity workflow completes and a second "
                  "execute joins it: each activity ran once") {
  auto first = execute(three, order{"o-1", 30});
  auto second = execute(three, order{"o-1", 30});
  advance_until([&] {
    return first->has_value() && second->has_value();
  });
  REQUIRE(first->has_value());
  REQUIRE(second->has_value());
  REQUIRE(**first);
  REQUIRE(**second);
  CHECK((**first)->ok());
  CHECK((**first)->value() == "parcel-o-1/30");
  CHECK((**second)->value() == "parcel-o-1/30");
  CHECK(effects()["validate"] == 1);
  CHECK(effects()["charge"] == 1);
  CHECK(effects()["ship"] == 1);
  // A third execute after completion joins the stored result.
  auto third = execute(three, order{"o-1", 30});
  advance_until([&] {
    return third->has_value();
  });
  REQUIRE(third->has_value());
  REQUIRE(**third);
  CHECK((**third)->value() == "parcel-o-1/30");
  CHECK(effects()["charge"] == 1);
  auto p = poll(three, three.execution_id(order{"o-1", 30}));
  CHECK(p.status == wf::execution_status::complete);
  REQUIRE(p.result);
  CHECK(p.result->value() == "parcel-o-1/30");
}

TEST_CASE_FIXTURE(wf_fixture,
                  "a durable sleep, then a deferred completed "
                  "from outside, finish the execution") {
  auto id = start(waits, order{"w-1", 1});
  CHECK(id == waits.execution_id(order{"w-1", 1}));
  advance(10s);
  CHECK(poll(waits, id).status == wf::execution_status::suspended);
  CHECK(effects()["before"] == 1);
  advance(std::chrono::hours{1});
  CHECK(poll(waits, id).status == wf::execution_status::suspended);
  complete(waits, id, "approval", 21);
  advance_until([&] {
    return poll(waits, id).status == wf::execution_status::complete;
  });
  auto p = poll(waits, id);
  CHECK(p.status == wf::execution_status::complete);
  REQUIRE(p.result);
  CHECK(p.result->value() == "w-1:42");
  CHECK(effects()["before"] == 1);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "an interrupt runs the compensations in reverse "
                  "order, once") {
  auto id = start(compensated, order{"c-1", 1});
  advance_until([&] {
    return poll(compensated, id).status == wf::execution_status::suspended;
  });
  CHECK(effects()["reserve"] == 1);
  interrupt(compensated, id);
  advance_until([&] {
    return poll(compensated, id).status == wf::execution_status::interrupted;
  });
  auto p = poll(compensated, id);
  CHECK(p.status == wf::execution_status::interrupted);
  CHECK(p.cause == errc::workflow_interrupted);
  CHECK(effects()["refund"] == 1);
  CHECK(effects()["release"] == 1);
  auto joined = execute(compensated, order{"c-1", 1});
  advance_until([&] {
    return joined->has_value();
  });
  REQUIRE(joined->has_value());
  REQUIRE(!**joined);
  CHECK((**joined).error() == errc::workflow_interrupted);
  advance(60s);
  CHECK(effects()["refund"] == 1);
  CHECK(effects()["charge"] == 1);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "a replay that reaches another step than the "
                  "journal fails the execution, naming both") {
  auto id = start(changing, order{"n-1", 1});
  advance_until([&] {
    return poll(changing, id).status == wf::execution_status::suspended;
  });
  code_version() = 2;
  complete(changing, id, "go", 1);
  advance_until([&] {
    return poll(changing, id).status == wf::execution_status::failed;
  });
  auto p = poll(changing, id);
  CHECK(p.status == wf::execution_status::failed);
  CHECK(p.cause == errc::nondeterministic_workflow);
  auto text = to_string(p.cause);
  CHECK(text.find("old-step/1") != std::string::npos);
  CHECK(text.find("new-step/1") != std::string::npos);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "patched keeps an in-flight execution on the old "
                  "branch and new executions on the new one") {
  auto old_id = start(versioned, order{"v-1", 1});
  advance_until([&] {
    return poll(versioned, old_id).status == wf::execution_status::suspended;
  });
  CHECK(effects()["legacy"] == 1);
  code_version() = 2;
  auto new_id = start(versioned, order{"v-2", 1});
  advance_until([&] {
    return poll(versioned, new_id).status == wf::execution_status::suspended;
  });
  CHECK(effects()["fraud-check"] == 1);
  complete(versioned, old_id, "go", 1);
  complete(versioned, new_id, "go", 1);
  advance_until([&] {
    return poll(versioned, old_id).status == wf::execution_status::complete
      && poll(versioned, new_id).status == wf::execution_status::complete;
  });
  auto p_old = poll(versioned, old_id);
  auto p_new = poll(versioned, new_id);
  REQUIRE(p_old.result);
  REQUIRE(p_new.result);
  CHECK(p_old.result->value() == "old");
  CHECK(p_new.result->value() == "new");
  CHECK(effects()["legacy"] == 1);
  CHECK(effects()["fraud-check"] == 1);
}

TEST_CASE_FIXTURE(wf_sqlite_fixture,
                  "a transactional activity commits its "
                  "writes once, with its recorded result") {
  auto first = execute(booking, order{"b-1", 7});
  advance_until([&] {
    return first->has_value();
  });
  REQUIRE(first->has_value());
  REQUIRE(**first);
  CHECK((**first)->value() == "booked 7");
  CHECK(effects()["book"] == 1);
  CHECK(effects()["after"] == 1);
  auto again = execute(booking, order{"b-1", 7});
  advance_until([&] {
    return again->has_value();
  });
  REQUIRE(again->has_value());
  REQUIRE(**again);
  CHECK((**again)->value() == "booked 7");
  CHECK(effects()["book"] == 1);
  CHECK(bookings() == 1);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "the memory backend refuses a transactional "
                  "activity with unsupported") {
  auto first = execute(booking, order{"b-2", 7});
  advance_until([&] {
    return first->has_value();
  });
  REQUIRE(first->has_value());
  REQUIRE(**first);
  REQUIRE(!(**first)->ok());
  CHECK((**first)->error() == errc::unsupported);
  CHECK(effects()["book"] == 0);
  CHECK(effects()["after"] == 0);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "a purged execution is gone: the same payload "
                  "starts a new one") {
  auto first = execute(three, order{"p-1", 3});
  advance_until([&] {
    return first->has_value();
  });
  REQUIRE(first->has_value());
  REQUIRE(**first);
  auto id = three.execution_id(order{"p-1", 3});
  purge(three, id);
  CHECK(poll(three, id).status == wf::execution_status::unknown);
  auto again = execute(three, order{"p-1", 3});
  advance_until([&] {
    return again->has_value();
  });
  REQUIRE(again->has_value());
  REQUIRE(**again);
  CHECK((**again)->value() == "parcel-p-1/3");
  CHECK(effects()["charge"] == 2);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "retention purges an ended execution after "
                  "its delay") {
  auto first = execute(retained, order{"r-1", 3});
  advance_until([&] {
    return first->has_value();
  });
  REQUIRE(first->has_value());
  REQUIRE(**first);
  auto id = retained.execution_id(order{"r-1", 3});
  CHECK(poll(retained, id).status == wf::execution_status::complete);
  advance(30s);
  CHECK(poll(retained, id).status == wf::execution_status::complete);
  advance(40s);
  CHECK(poll(retained, id).status == wf::execution_status::unknown);
  // Its stored messages went too: the same payload starts a new execution.
  auto again = execute(retained, order{"r-1", 3});
  advance_until([&] {
    return again->has_value();
  });
  REQUIRE(again->has_value());
  REQUIRE(**again);
  CHECK(effects()["charge"] == 2);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "M3: a parent awaiting a child that already ran gets "
                  "its outcome") {
  auto direct = execute(three, order{"m3", 5});
  advance_until([&] {
    return direct->has_value();
  });
  REQUIRE(direct->has_value());
  auto parent = execute(parent_of_three, order{"m3", 5});
  advance_until([&] {
    return parent->has_value();
  });
  REQUIRE(parent->has_value());
  REQUIRE(**parent);
  CHECK((**parent)->value() == "child said parcel-m3/5");
  CHECK(effects()["charge"] == 1);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "M3: interrupting a parent interrupts the child it "
                  "awaits") {
  auto id = start(parent_of_waits, order{"m3-i", 1});
  auto child = waits.execution_id(order{"m3-i", 1});
  advance_until([&] {
    return poll(waits, child).status == wf::execution_status::suspended;
  });
  REQUIRE(poll(waits, child).status == wf::execution_status::suspended);
  interrupt(parent_of_waits, id);
  advance_until([&] {
    return poll(waits, child).status == wf::execution_status::interrupted;
  });
  CHECK(poll(parent_of_waits, id).status
        == wf::execution_status::interrupted);
  CHECK(poll(waits, child).status == wf::execution_status::interrupted);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "S1: an interrupt before the start interrupts the "
                  "execution when it starts") {
  auto id = compensated.execution_id(order{"s1", 1});
  interrupt(compensated, id);
  CHECK(start(compensated, order{"s1", 1}) == id);
  advance_until([&] {
    return poll(compensated, id).status == wf::execution_status::interrupted;
  });
  CHECK(poll(compensated, id).status == wf::execution_status::interrupted);
  CHECK(effects()["charge"] == 0);
}

TEST_CASE_FIXTURE(wf_fixture,
                  "S5: a purge before the start keeps early completions") {
  auto id = waits.execution_id(order{"s5", 2});
  complete(waits, id, "approval", 4);
  purge(waits, id);
  CHECK(start(waits, order{"s5", 2}) == id);
  advance(std::chrono::hours{1});
  advance_until([&] {
    return poll(waits, id).status == wf::execution_status::complete;
  });
  auto p = poll(waits, id);
  CHECK(p.status == wf::execution_status::complete);
  REQUIRE(p.result);
  CHECK(p.result->value() == "s5:8");
}

TEST_SUITE_END();

TEST_CASE("execution ids are the first 16 bytes of SHA-256 of "
          "<len>:<name>:<key>, as in Effect") {
  // Golden values from Python's hashlib.
  CHECK(wf::make_execution_id("OrderProcessing", "o-1")
        == "20479744ff7e65a501d558ec94f51b26");
  CHECK(wf::make_execution_id("SendEmail", "42")
        == "9a44ee01980f30df0ac3a83c5d9c97c4");
  CHECK(wf::make_execution_id("x", "") == "b2ccab4498eda5bcab90c2862fe7e91f");
  // More than one SHA-256 block.
  CHECK(wf::make_execution_id("LongKey", std::string(100, 'k'))
        == "0ae6b2f47684593c4c7d38bb2e55e32a");
}
