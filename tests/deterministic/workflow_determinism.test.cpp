// Beyond Effect: the determinism check, versioning with `patched`, deferreds
// completed before the body awaits them (Effect #6318 cannot happen), first
// completion wins, and a fan-out replayed after a crash (Effect #6014).
#include <doctest/doctest.h>

#include "deterministic/workflow_fixture.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing::wf;
using caf_cluster::workflow::execution_status;
using caf_cluster::workflow::step_kind;
namespace step_state = caf_cluster::workflow::step_state;

namespace {

bool sleeping(wf_cluster& f, const job_workflow& def, const std::string& id,
              const std::string& name) {
  auto j = f.journal(def, id);
  return j && steps_of(*j, step_kind::sleep, name, step_state::pending) == 1;
}

} // namespace

TEST_CASE("workflow: a changed body under an in-flight execution fails it "
          "with nondeterministic_workflow naming both steps") {
  wf_cluster f;
  job p{"nondet"};
  auto id = order_def().execution_id(p);
  REQUIRE(f.await(f.start(0, order_def(), p)));
  REQUIRE(f.c.advance_until([&] {
    return sleeping(f, order_def(), id, "Cool");
  }));
  // A deploy: every runner restarts with a body that reaches the activity
  // FraudCheck where the journal has the sleep Cool.
  f.w->version = 2;
  f.restart_all();
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(order_def(), id) == execution_status::failed;
    },
    20s));
  auto j = f.journal(order_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  CHECK_EQ(j->error, errc::nondeterministic_workflow);
  auto text = caf::to_string(j->error);
  CHECK_MESSAGE(text.find("Cool") != std::string::npos, text);
  CHECK_MESSAGE(text.find("FraudCheck") != std::string::npos, text);
  CHECK_MESSAGE(text.find("sleep") != std::string::npos, text);
  CHECK_MESSAGE(text.find("activity") != std::string::npos, text);
  // The new branch did not run, nor did any compensation.
  CHECK_EQ(f.w->count("FraudCheck", id), 0);
  CHECK_EQ(f.w->count("Ship", id), 0);
  CHECK_EQ(f.w->count("Refund", id), 0);
  CHECK_EQ(f.w->count("Charge", id), 1);
  // A caller joining it learns why.
  auto joined = f.await(f.execute(1, order_def(), p));
  REQUIRE(!joined);
  CHECK_EQ(joined.error(), errc::nondeterministic_workflow);
}

TEST_CASE("workflow: a versioned change keeps an in-flight execution on the "
          "old branch, a new execution takes the new one") {
  wf_cluster f;
  job old_job{"v-old"};
  auto old_id = order_def().execution_id(old_job);
  REQUIRE(f.await(f.start(0, order_def(), old_job)));
  REQUIRE(f.c.advance_until([&] {
    return sleeping(f, order_def(), old_id, "Cool");
  }));
  // Deploy the versioned change.
  f.w->version = 3;
  f.restart_all();
  job new_job{"v-new"};
  auto new_id = order_def().execution_id(new_job);
  REQUIRE(f.await(f.start(1, order_def(), new_job)));
  // The new execution replays its marker on another runner after a crash.
  REQUIRE(f.c.advance_until([&] {
    return sleeping(f, order_def(), new_id, "Cool");
  }));
  auto owner = f.owner(new_id);
  REQUIRE(owner);
  f.c.kill(*owner);
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(order_def(), old_id) == execution_status::complete
        && f.status(order_def(), new_id) == execution_status::complete;
    },
    30s));
  auto polled = f.await(f.poll((*owner + 1) % 3, order_def(), new_id));
  REQUIRE(polled);
  CHECK_EQ(text_of(f.c.system(), *polled), "shipped");
  auto old_j = f.journal(order_def(), old_id);
  auto new_j = f.journal(order_def(), new_id);
  REQUIRE(old_j);
  REQUIRE(new_j);
  INFO("old: " << describe(old_j));
  INFO("new: " << describe(new_j));
  CHECK_EQ(f.w->count("FraudCheck", old_id), 0);
  CHECK_EQ(f.w->count("Ship", old_id), 1);
  CHECK_EQ(f.w->count("Charge", old_id), 1);
  CHECK_EQ(f.w->count("FraudCheck", new_id), 1);
  CHECK_EQ(f.w->count("Ship", new_id), 1);
  size_t old_patches = 0;
  for (auto& s : old_j->steps)
    old_patches += s.kind == step_kind::patch ? 1 : 0;
  CHECK_EQ(old_patches, 0u);
  CHECK_EQ(steps_of(*new_j, step_kind::patch, "fraud-check", step_state::ok)
             + steps_of(*new_j, step_kind::patch, "fraud-check",
                        step_state::pending),
           1u);
  CHECK_EQ(new_j->status, execution_status::complete);
}

TEST_CASE("workflow: a deferred completed before the body awaits it is kept; "
          "the first completion wins") {
  wf_cluster f;
  job p{"early"};
  auto id = approval_def().execution_id(p);
  auto caller = f.execute(0, approval_def(), p);
  REQUIRE(f.c.advance_until([&] {
    return sleeping(f, approval_def(), id, "Nap");
  }));
  // Two completions while the body sleeps, before it reaches the await.
  auto first = f.await(f.complete(1, approval_def(), id, "Approval", "first"));
  REQUIRE(first);
  CHECK_EQ(first->status, execution_status::suspended);
  REQUIRE(f.await(f.complete(2, approval_def(), id, "Approval", "second")));
  auto j = f.journal(approval_def(), id);
  REQUIRE(j);
  CHECK_EQ(j->completions.size(), 1u);
  CHECK_EQ(steps_of(*j, step_kind::deferred, "Approval", step_state::pending),
           0u);
  auto x = f.await(caller, 20s);
  REQUIRE(x);
  REQUIRE(x->ok());
  CHECK_EQ(x->value(), "first");
  CHECK_EQ(f.w->count("Prepare", id), 1);
  // Completions of an awaited deferred: the first one wins as well.
  job q{"awaited"};
  auto qid = approval_def().execution_id(q);
  auto other = f.execute(2, approval_def(), q);
  REQUIRE(f.c.advance_until(
    [&] {
      auto jj = f.journal(approval_def(), qid);
      return jj
        && steps_of(*jj, step_kind::deferred, "Approval", step_state::pending);
    },
    20s));
  auto a = f.complete(0, approval_def(), qid, "Approval", "a");
  auto b = f.complete(1, approval_def(), qid, "Approval", "b");
  auto y = f.await(other);
  REQUIRE(y);
  REQUIRE(y->ok());
  CHECK_EQ(y->value(), "a");
  REQUIRE(f.await(b));
  auto polled = f.await(f.poll(2, approval_def(), qid));
  REQUIRE(polled);
  CHECK_EQ(text_of(f.c.system(), *polled), "a");
}

TEST_CASE("workflow: a completion racing the advance that suspends on it is "
          "not lost (Effect #6318)") {
  wf_cluster f;
  job p{"race"};
  auto id = approval_def().execution_id(p);
  REQUIRE(f.await(f.start(0, approval_def(), p)));
  REQUIRE(f.c.advance_until([&] {
    return sleeping(f, approval_def(), id, "Nap");
  }));
  auto due = f.journal(approval_def(), id)->steps.back().wake_ms;
  f.c.advance(std::chrono::milliseconds{due - f.c.clock()->now_ms() - 1});
  // The wake-up becomes due now, and in the same instant the completion
  // arrives from every runner: whichever the entity takes first, the body
  // must end.
  f.c.clock()->advance_ms(1);
  f.c.scheduler().clock().advance_time(1ms);
  auto c0 = f.complete(0, approval_def(), id, "Approval", "racy");
  auto c1 = f.complete(1, approval_def(), id, "Approval", "racy");
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(approval_def(), id) == execution_status::complete;
    },
    20s));
  auto polled = f.await(f.poll(2, approval_def(), id));
  REQUIRE(polled);
  CHECK_EQ(text_of(f.c.system(), *polled), "racy");
}

TEST_CASE("workflow: a fan-out replayed after a crash neither deadlocks nor "
          "runs a recorded call again") {
  wf_cluster f;
  job p{"fan"};
  auto id = fanout_def().execution_id(p);
  auto caller = f.execute(0, fanout_def(), p);
  REQUIRE(f.c.advance_until([&] {
    return sleeping(f, fanout_def(), id, "Nap");
  }));
  auto j = f.journal(fanout_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  for (auto name : {"A/1", "B/1", "C/1"})
    CHECK_EQ(steps_of(*j, step_kind::activity, name, step_state::ok), 1u);
  auto owner = f.owner(id);
  REQUIRE(owner);
  f.c.kill(*owner);
  // The next owner replays the fan-out from the journal when the sleep ends.
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(fanout_def(), id) == execution_status::complete;
    },
    30s));
  for (auto name : {"A", "B", "C"})
    CHECK_EQ(f.w->count(name, id), 1);
  auto polled = f.await(f.poll((*owner + 1) % 3, fanout_def(), id));
  REQUIRE(polled);
  CHECK_EQ(text_of(f.c.system(), *polled), "1,1,1");
  // A crash in the middle of the fan-out (calls ran, nothing recorded): the
  // next owner runs the calls again once and goes on.
  job q{"fan-mid"};
  auto qid = fanout_def().execution_id(q);
  f.w->arm("C");
  auto s = f.start((*owner + 1) % 3, fanout_def(), q, false);
  REQUIRE(f.run_until_tripped());
  auto qowner = f.owner(qid);
  REQUIRE(qowner);
  f.c.kill(*qowner);
  REQUIRE(f.c.advance_until(
    [&] {
      return f.status(fanout_def(), qid) == execution_status::complete;
    },
    40s));
  for (auto name : {"A", "B", "C"})
    CHECK_LE(f.w->count(name, qid), 2);
  CHECK_EQ(f.w->count("C", qid), 2);
}
