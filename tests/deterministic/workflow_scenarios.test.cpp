// The ten scenarios of Effect's workflow tests (ClusterWorkflowEngine.test.ts,
// Workflow.test.ts in the Effect repository), on three
// runners of the deterministic cluster with the email fixture: SendEmail
// fails until attempt 5, compensation Unsend, a durable sleep of 10 s, then
// the deferred Confirm.
#include <doctest/doctest.h>

#include "deterministic/workflow_fixture.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing::wf;
using caf_cluster::workflow::execution_status;
using caf_cluster::workflow::step_kind;
namespace step_state = caf_cluster::workflow::step_state;

namespace {

// The outcome's text: "<value>" or "error:<reason>".
template <class R>
std::string text(const caf::expected<workflow::outcome<R, wf_error>>& x) {
  if (!x)
    return "engine error: " + caf::to_string(x.error());
  return x->ok() ? x->value() : "error:" + x->error().reason;
}

// Runs the email execution up to its wait on Confirm (SendEmail attempts 1-4
// fail, 5 succeeds, the 10 s sleep fires).
void until_confirm_awaited(wf_cluster& f, const std::string& id,
                           const email_workflow& def = email_def()) {
  REQUIRE(f.c.advance_until(
    [&] {
      auto j = f.journal(def, id);
      return j
        && steps_of(*j, step_kind::deferred, "Confirm", step_state::pending)
        == 1;
    },
    20s));
}

// The executions of workflow `name` that reached `status`, summed over the
// runners' metrics.
int64_t executions(wf_cluster& f, const std::string& name,
                   const std::string& status) {
  int64_t n = 0;
  for (size_t r = 0; r < 3; ++r)
    n += f.c.runner(r).metrics().component_counter(
      "caf_cluster_workflow_executions_total",
      {{"workflow", name}, {"status", status}});
  return n;
}

// Checks that every SendEmail attempt ran exactly once for `id`.
void check_send_attempts_once(wf_cluster& f, const std::string& id) {
  for (int k = 1; k <= 5; ++k) {
    INFO("SendEmail/" << k);
    CHECK_EQ(f.w->count("SendEmail/" + std::to_string(k), id), 1);
  }
}

} // namespace

TEST_CASE("workflow scenario 1: executes, suspends on the deferred, a second "
          "execute joins, the completion finishes it") {
  wf_cluster f;
  email p{"a@example.org", "mail-1"};
  auto id = email_def().execution_id(p);
  auto first = f.execute(0, email_def(), p);
  until_confirm_awaited(f, id);
  CHECK(!first->has_value());
  auto j = f.journal(email_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  for (int k = 1; k <= 4; ++k)
    CHECK_EQ(steps_of(*j, step_kind::activity, "SendEmail/" + std::to_string(k),
                      step_state::failed),
             1u);
  CHECK_EQ(steps_of(*j, step_kind::activity, "SendEmail/5", step_state::ok),
           1u);
  CHECK_EQ(steps_of(*j, step_kind::sleep, "Wait", step_state::ok), 1u);
  CHECK_EQ(j->status, execution_status::suspended);
  auto polled = f.await(f.poll_result(1, email_def(), id));
  REQUIRE(polled);
  CHECK_EQ(polled->status, execution_status::suspended);
  CHECK(!polled->result);
  // The same payload through another runner joins: nothing runs again and
  // nothing new waits in storage.
  auto pending_before = f.pending(email_def().entity_type());
  auto second = f.execute(1, email_def(), p);
  f.c.advance(3s);
  CHECK(!second->has_value());
  CHECK_EQ(f.pending(email_def().entity_type()), pending_before);
  check_send_attempts_once(f, id);
  // Completed by its token, as a body hands it out.
  REQUIRE(f.await(f.complete_token(2, email_def(), id, "Confirm", "yes")));
  CHECK_EQ(text(f.await(first)), "sent:yes");
  CHECK_EQ(text(f.await(second)), "sent:yes");
  polled = f.await(f.poll_result(2, email_def(), id));
  REQUIRE(polled);
  CHECK_EQ(polled->status, execution_status::complete);
  REQUIRE(polled->result);
  CHECK_EQ(text(caf::expected<workflow::outcome<std::string, wf_error>>{
             *polled->result}),
           "sent:yes");
  check_send_attempts_once(f, id);
  CHECK_EQ(f.w->count("Unsend", id), 0);
  CHECK(f.pending(email_def().entity_type()).empty());
  // One execution: started once, suspended once (on the sleep; its wake-up
  // went straight on to wait for the deferred, still suspended), complete
  // once (the joining execute started nothing).
  auto name = email_def().name();
  CHECK_EQ(executions(f, name, "started"), 1);
  CHECK_EQ(executions(f, name, "suspended"), 1);
  CHECK_EQ(executions(f, name, "complete"), 1);
  CHECK_EQ(executions(f, name, "failed"), 0);
  CHECK_EQ(executions(f, name, "interrupted"), 0);
}

TEST_CASE("workflow scenario 2: an interrupt of a suspended execution clears "
          "its clock, stores the end and runs the compensation") {
  wf_cluster f;
  email p{"b@example.org", "mail-2"};
  auto id = email_def().execution_id(p);
  auto caller = f.execute(0, email_def(), p);
  // Interrupted during the durable sleep: its wake-up waits in storage.
  REQUIRE(f.c.advance_until([&] {
    auto j = f.journal(email_def(), id);
    return j
      && steps_of(*j, step_kind::sleep, "Wait", step_state::pending) == 1;
  }));
  CHECK_EQ(f.pending(email_def().entity_type()).size(), 1u);
  REQUIRE(f.await(f.interrupt(1, email_def(), id)));
  REQUIRE(f.c.advance_until([&] {
    return f.status(email_def(), id) == execution_status::interrupted;
  }));
  auto j = f.journal(email_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  CHECK(j->interrupt_requested);
  CHECK_EQ(steps_of(*j, step_kind::sleep, "Wait", step_state::cleared), 1u);
  CHECK_EQ(steps_of(*j, step_kind::compensation, "Unsend", step_state::ok), 1u);
  CHECK_EQ(f.w->count("Unsend", id), 1);
  auto x = f.await(caller);
  REQUIRE(!x);
  CHECK_EQ(x.error(), errc::workflow_interrupted);
  // The sleep's due time passes: its wake-up changes nothing.
  f.c.advance(12s);
  CHECK_EQ(f.status(email_def(), id), execution_status::interrupted);
  CHECK_EQ(f.w->count("Unsend", id), 1);
  CHECK(f.pending(email_def().entity_type()).empty());
  auto polled = f.await(f.poll_result(2, email_def(), id));
  REQUIRE(polled);
  CHECK_EQ(polled->status, execution_status::interrupted);
  CHECK_EQ(polled->cause, errc::workflow_interrupted);
  CHECK_EQ(executions(f, email_def().name(), "started"), 1);
  CHECK_EQ(executions(f, email_def().name(), "interrupted"), 1);
  CHECK_EQ(executions(f, email_def().name(), "complete"), 0);
}

TEST_CASE("workflow scenario 3: a failing execution runs its compensation; "
          "the caller gets the typed error") {
  wf_cluster f;
  email p{"c@example.org", "mail-3", true};
  auto id = email_def().execution_id(p);
  auto caller = f.execute(0, email_def(), p);
  until_confirm_awaited(f, id);
  REQUIRE(f.await(f.complete_token(1, email_def(), id, "Confirm", "yes")));
  CHECK_EQ(text(f.await(caller)), "error:rejected");
  auto j = f.journal(email_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  CHECK_EQ(j->status, execution_status::failed);
  CHECK_EQ(steps_of(*j, step_kind::compensation, "Unsend", step_state::ok), 1u);
  CHECK_EQ(f.w->count("Unsend", id), 1);
  check_send_attempts_once(f, id);
  CHECK_EQ(executions(f, email_def().name(), "started"), 1);
  CHECK_EQ(executions(f, email_def().name(), "failed"), 1);
  CHECK_EQ(executions(f, email_def().name(), "complete"), 0);
}

TEST_CASE("workflow scenario 4: a parent suspends while its child waits on a "
          "deferred; completing the child's deferred completes both") {
  wf_cluster f;
  job p{"parent-4"};
  auto parent_id = parent_def().execution_id(p);
  auto child_id = email_def().execution_id(email{"", "parent-4-child"});
  auto caller = f.execute(0, parent_def(), p);
  until_confirm_awaited(f, child_id);
  f.c.advance(2s);
  auto pj = f.journal(parent_def(), parent_id);
  REQUIRE(pj);
  INFO(describe(pj));
  CHECK_EQ(pj->status, execution_status::suspended);
  CHECK_EQ(steps_of(*pj, step_kind::child, "Email/" + child_id,
                    step_state::pending),
           1u);
  auto cj = f.journal(email_def(), child_id);
  REQUIRE(cj);
  CHECK_EQ(cj->parent.workflow, "Parent");
  CHECK_EQ(cj->parent.execution_id, parent_id);
  CHECK(!caller->has_value());
  REQUIRE(
    f.await(f.complete_token(1, email_def(), child_id, "Confirm", "child-ok")));
  CHECK_EQ(text(f.await(caller)), "parent:sent:child-ok");
  CHECK_EQ(f.status(email_def(), child_id), execution_status::complete);
  CHECK_EQ(f.status(parent_def(), parent_id), execution_status::complete);
  CHECK_EQ(f.w->count("Finish", parent_id), 1);
  check_send_attempts_once(f, child_id);
}

TEST_CASE("workflow scenario 5: wake-ups and deferred completions of a "
          "workflow in its own shard group stay in that group") {
  wf_cluster f;
  auto& def = grouped_email_def();
  email p{"d@example.org", "mail-5"};
  auto id = def.execution_id(p);
  auto caller = f.execute(0, def, p);
  REQUIRE(f.c.advance_until([&] {
    auto j = f.journal(def, id);
    return j
      && steps_of(*j, step_kind::sleep, "Wait", step_state::pending) == 1;
  }));
  // The stored wake-up waits in a shard of group "workflow".
  auto waiting = f.pending(def.entity_type());
  REQUIRE_EQ(waiting.size(), 1u);
  CHECK_MESSAGE(waiting.begin()->first.rfind("workflow:", 0) == 0u,
                waiting.begin()->first);
  until_confirm_awaited(f, id, def);
  // A completion scheduled 5 s ahead waits in storage: in the workflow
  // group too, on the execution's shard.
  workflow::detail::wf_deferred x;
  x.name = "Confirm";
  x.value = *workflow::detail::encode(f.c.system(), std::string{"grouped"});
  auto client = f.c.runner(1).make_client(workflow::detail::execution_entity(
    def.name(), def.shard_group(), def.max_idle()));
  client.tell_at(id, x, f.c.clock()->now_ms() + 5'000);
  f.c.advance(1s);
  auto stored = f.pending(def.entity_type());
  REQUIRE_EQ(stored.size(), 1u);
  CHECK_EQ(stored, waiting);
  CHECK_EQ(f.status(def, id), execution_status::suspended);
  REQUIRE(f.c.advance_until([&] {
    return f.status(def, id) == execution_status::complete;
  }));
  CHECK_EQ(text(f.await(caller)), "sent:grouped");
  CHECK(f.pending(def.entity_type()).empty());
}

TEST_CASE("workflow scenario 6: suspend-on-failure holds a failed execution "
          "until resume (or interrupt)") {
  wf_cluster f;
  f.w->flaky_failures = 1;
  job p{"flaky-6"};
  auto id = flaky_def().execution_id(p);
  auto caller = f.execute(0, flaky_def(), p);
  REQUIRE(f.c.advance_until([&] {
    auto j = f.journal(flaky_def(), id);
    return j && j->suspended_failed;
  }));
  auto polled = f.await(f.poll_result(1, flaky_def(), id));
  REQUIRE(polled);
  CHECK_EQ(polled->status, execution_status::suspended);
  CHECK(polled->cause);
  CHECK(!polled->result);
  f.c.advance(5s);
  CHECK(!caller->has_value());
  CHECK_EQ(f.w->count("Flaky", id), 1);
  CHECK_EQ(f.w->count("Done", id), 0);
  REQUIRE(f.await(f.resume(2, flaky_def(), id)));
  CHECK_EQ(text(f.await(caller)), "done");
  CHECK_EQ(f.w->count("Flaky", id), 2);
  CHECK_EQ(f.w->count("Done", id), 1);
  // A second one is interrupted instead of resumed.
  f.w->flaky_failures = 1;
  job q{"flaky-6b"};
  auto qid = flaky_def().execution_id(q);
  auto other = f.execute(1, flaky_def(), q);
  REQUIRE(f.c.advance_until([&] {
    auto j = f.journal(flaky_def(), qid);
    return j && j->suspended_failed;
  }));
  REQUIRE(f.await(f.interrupt(0, flaky_def(), qid)));
  auto y = f.await(other);
  REQUIRE(!y);
  CHECK_EQ(y.error(), errc::workflow_interrupted);
  CHECK_EQ(f.w->count("Done", qid), 0);
}

TEST_CASE("workflow scenario 7: an activity failure caught in the body is a "
          "value, not a crash") {
  wf_cluster f;
  job p{"catch-7"};
  auto id = catching_def().execution_id(p);
  CHECK_EQ(text(f.await(f.execute(2, catching_def(), p))), "handled");
  auto j = f.journal(catching_def(), id);
  REQUIRE(j);
  INFO(describe(j));
  CHECK_EQ(steps_of(*j, step_kind::activity, "Fails/1", step_state::failed),
           1u);
  CHECK_EQ(steps_of(*j, step_kind::activity, "After/1", step_state::ok), 1u);
  CHECK_EQ(j->status, execution_status::complete);
  CHECK_EQ(f.w->count("Fails", id), 1);
  CHECK_EQ(f.w->count("After", id), 1);
}

TEST_CASE("workflow scenario 8: the owner dies with a suspended execution; "
          "its deferred completed elsewhere finishes it, no activity reruns") {
  wf_cluster f;
  email p{"e@example.org", "mail-8"};
  auto id = email_def().execution_id(p);
  REQUIRE(f.await(f.start(0, email_def(), p)));
  until_confirm_awaited(f, id);
  auto owner = f.owner(id);
  REQUIRE(owner);
  f.c.kill(*owner);
  auto via = (*owner + 1) % 3;
  REQUIRE(
    f.await(f.complete_token(via, email_def(), id, "Confirm", "late"), 30s));
  auto polled = f.await(f.poll(via, email_def(), id));
  REQUIRE(polled);
  CHECK_EQ(polled->status, execution_status::complete);
  CHECK_EQ(text_of(f.c.system(), *polled), "sent:late");
  auto next = f.owner(id);
  REQUIRE(next);
  CHECK_NE(*next, *owner);
  check_send_attempts_once(f, id);
}

TEST_CASE("workflow scenario 9: after a whole-cluster restart a deferred "
          "completed from another runner completes the execution") {
  wf_cluster f;
  email p{"f@example.org", "mail-9"};
  auto id = email_def().execution_id(p);
  REQUIRE(f.await(f.start(1, email_def(), p)));
  until_confirm_awaited(f, id);
  f.restart_all();
  REQUIRE(f.c.advance_until([&] {
    return f.owner(id).has_value();
  }));
  auto via = (*f.owner(id) + 1) % 3;
  REQUIRE(
    f.await(f.complete_token(via, email_def(), id, "Confirm", "restarted")));
  auto polled = f.await(f.poll(via, email_def(), id));
  REQUIRE(polled);
  CHECK_EQ(text_of(f.c.system(), *polled), "sent:restarted");
  check_send_attempts_once(f, id);
}

TEST_CASE("workflow scenario 10: compensation and suspend-on-failure still "
          "hold after the owner is lost") {
  wf_cluster f;
  SUBCASE("compensation") {
    email p{"g@example.org", "mail-10", true};
    auto id = email_def().execution_id(p);
    REQUIRE(f.await(f.start(0, email_def(), p)));
    until_confirm_awaited(f, id);
    auto owner = f.owner(id);
    REQUIRE(owner);
    f.c.kill(*owner);
    auto via = (*owner + 1) % 3;
    auto done = f.await(f.complete(via, email_def(), id, "Confirm", "yes"),
                        30s);
    REQUIRE(done);
    CHECK_EQ(done->status, execution_status::failed);
    CHECK_EQ(text_of(f.c.system(), *done), "error:rejected");
    CHECK_EQ(f.w->count("Unsend", id), 1);
    check_send_attempts_once(f, id);
  }
  SUBCASE("suspend on failure") {
    f.w->flaky_failures = 1;
    job p{"flaky-10"};
    auto id = flaky_def().execution_id(p);
    REQUIRE(f.await(f.start(0, flaky_def(), p)));
    REQUIRE(f.c.advance_until([&] {
      auto j = f.journal(flaky_def(), id);
      return j && j->suspended_failed;
    }));
    auto owner = f.owner(id);
    REQUIRE(owner);
    f.c.kill(*owner);
    auto via = (*owner + 1) % 3;
    REQUIRE(f.c.advance_until([&] {
      return f.owner(id).has_value();
    }));
    auto polled = f.await(f.poll(via, flaky_def(), id));
    REQUIRE(polled);
    CHECK_EQ(polled->status, execution_status::suspended);
    REQUIRE(f.await(f.resume(via, flaky_def(), id)));
    REQUIRE(f.c.advance_until([&] {
      return f.status(flaky_def(), id) == execution_status::complete;
    }));
    CHECK_EQ(f.w->count("Flaky", id), 2);
    CHECK_EQ(f.w->count("Done", id), 1);
  }
}
