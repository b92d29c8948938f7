// Crashes of an execution's owner at the worst moments (mid-activity: the
// side effect happened, its result is not stored; mid-sleep; mid-compensation)
// and a 1-hour durable sleep across a whole-cluster restart. The execution
// completes on another runner; a step recorded before the crash never runs
// again, a step whose result was lost runs once more (at-least-once).
#include <doctest/doctest.h>

#include "deterministic/workflow_fixture.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing::wf;
using caf_cluster::workflow::execution_status;
using caf_cluster::workflow::step_kind;
namespace step_state = caf_cluster::workflow::step_state;

namespace {

bool has_step(wf_cluster& f, const job_workflow& def, const std::string& id,
              step_kind kind, const std::string& name, uint8_t state) {
  auto j = f.journal(def, id);
  return j && steps_of(*j, kind, name, state) > 0;
}

} // namespace

TEST_CASE("workflow: the owner killed mid-activity (effect done, result not "
          "stored): the next owner runs that attempt again, nothing else") {
  wf_cluster f;
  email p{"k@example.org", "kill-activity"};
  auto id = email_def().execution_id(p);
  f.w->arm("SendEmail/3");
  auto start = f.start(0, email_def(), p, false);
  REQUIRE(f.run_until_tripped());
  auto owner = f.owner(id);
  REQUIRE(owner);
  f.c.kill(*owner);
  // The crash came before the attempt's result was stored.
  auto j = f.journal(email_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  CHECK_EQ(steps_of(*j, step_kind::activity, "SendEmail/2", step_state::failed),
           1u);
  CHECK_EQ(steps_of(*j, step_kind::activity, "SendEmail/3", step_state::failed),
           0u);
  REQUIRE(f.c.advance_until(
    [&] {
      auto x = f.journal(email_def(), id);
      return x
        && steps_of(*x, step_kind::deferred, "Confirm", step_state::pending);
    },
    30s));
  auto next = f.owner(id);
  REQUIRE(next);
  CHECK_NE(*next, *owner);
  CHECK_EQ(f.w->count("SendEmail/1", id), 1);
  CHECK_EQ(f.w->count("SendEmail/2", id), 1);
  CHECK_EQ(f.w->count("SendEmail/3", id), 2);
  CHECK_EQ(f.w->count("SendEmail/4", id), 1);
  CHECK_EQ(f.w->count("SendEmail/5", id), 1);
  auto done = f.await(f.complete(*next, email_def(), id, "Confirm", "ok"));
  REQUIRE(done);
  CHECK_EQ(done->status, execution_status::complete);
  CHECK_EQ(text_of(f.c.system(), *done), "sent:ok");
  j = f.journal(email_def(), id);
  REQUIRE(j);
  CHECK_EQ(steps_of(*j, step_kind::activity, "SendEmail/3", step_state::failed),
           1u);
}

TEST_CASE("workflow: the owner killed mid-sleep: the wake-up fires on the next "
          "owner at its time, no activity runs again") {
  wf_cluster f;
  job p{"kill-sleep"};
  auto id = order_def().execution_id(p);
  REQUIRE(f.await(f.start(1, order_def(), p)));
  REQUIRE(f.c.advance_until([&] {
    return has_step(f, order_def(), id, step_kind::sleep, "Cool",
                    step_state::pending);
  }));
  auto due = f.journal(order_def(), id)->steps.back().wake_ms;
  CHECK_GT(due, f.c.clock()->now_ms());
  auto owner = f.owner(id);
  REQUIRE(owner);
  f.c.kill(*owner);
  // Not before its time, also on the new owner.
  while (f.c.clock()->now_ms() < due - 100) {
    CHECK_EQ(f.w->count("Ship", id), 0);
    f.c.advance(500ms);
  }
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(order_def(), id) == execution_status::complete;
    },
    10s));
  auto next = f.owner(id);
  REQUIRE(next);
  CHECK_NE(*next, *owner);
  CHECK_EQ(f.w->count("Charge", id), 1);
  CHECK_EQ(f.w->count("Ship", id), 1);
  CHECK_EQ(f.w->count("Refund", id), 0);
}

TEST_CASE("workflow: the owner killed mid-compensation: compensations recorded "
          "before the crash do not run again, the rest complete elsewhere") {
  wf_cluster f;
  job p{"kill-compensation"};
  auto id = compensating_def().execution_id(p);
  // Compensations run in reverse: UndoB, then UndoA in a later advance.
  f.w->arm("UndoA");
  auto start = f.start(2, compensating_def(), p, false);
  REQUIRE(f.run_until_tripped());
  auto owner = f.owner(id);
  REQUIRE(owner);
  f.c.kill(*owner);
  auto j = f.journal(compensating_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  CHECK_EQ(steps_of(*j, step_kind::compensation, "UndoB", step_state::ok), 1u);
  CHECK_EQ(steps_of(*j, step_kind::compensation, "UndoA", step_state::ok), 0u);
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(compensating_def(), id) == execution_status::failed;
    },
    30s));
  j = f.journal(compensating_def(), id);
  REQUIRE(j);
  std::vector<std::string> compensations;
  for (auto& s : j->steps)
    if (s.kind == step_kind::compensation)
      compensations.push_back(s.name);
  CHECK_EQ(compensations, std::vector<std::string>{"UndoB", "UndoA"});
  CHECK_EQ(f.w->count("A", id), 1);
  CHECK_EQ(f.w->count("B", id), 1);
  CHECK_EQ(f.w->count("Boom", id), 1);
  CHECK_EQ(f.w->count("UndoB", id), 1);
  CHECK_EQ(f.w->count("UndoA", id), 2);
  auto polled = f.await(f.poll((*owner + 1) % 3, compensating_def(), id));
  REQUIRE(polled);
  CHECK_EQ(polled->status, execution_status::failed);
  CHECK_EQ(text_of(f.c.system(), *polled), "error:boom");
}

TEST_CASE("workflow: a 1-hour durable sleep survives a whole-cluster restart "
          "and fires at its time") {
  wf_cluster f;
  job p{"hour"};
  auto id = sleeper_def().execution_id(p);
  REQUIRE(f.await(f.start(0, sleeper_def(), p)));
  REQUIRE(f.c.advance_until([&] {
    return has_step(f, sleeper_def(), id, step_kind::sleep, "Hour",
                    step_state::pending);
  }));
  auto due = f.journal(sleeper_def(), id)->steps.back().wake_ms;
  CHECK_GE(due - f.c.clock()->now_ms(), 3'590'000);
  f.c.advance(10min);
  f.restart_all();
  f.c.advance(49min);
  CHECK_EQ(f.w->count("After", id), 0);
  CHECK_EQ(f.status(sleeper_def(), id), execution_status::suspended);
  // Down over the due time, then up again: the overdue wake-up fires.
  for (size_t i = 0; i < 3; ++i)
    f.c.kill(i);
  f.c.advance(2min);
  for (size_t i = 0; i < 3; ++i)
    f.c.restart(i);
  CHECK_GT(f.c.clock()->now_ms(), due);
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(sleeper_def(), id) == execution_status::complete;
    },
    30s));
  CHECK_EQ(f.w->count("Before", id), 1);
  CHECK_EQ(f.w->count("After", id), 1);
}
