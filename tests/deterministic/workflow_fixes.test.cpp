// The engine's advance, driven directly on hand-made journals: what an
// advance leaves behind (messages sent again after a journal stored without
// them), when it may end an execution, and how a resume cuts the journal.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "caf/actor_system.hpp"

#include "caf_cluster/testing/test_system_config.hpp"
#include "caf_cluster/workflow.hpp"
#include "caf_cluster/workflow/internal/run_state.hpp"

using namespace caf_cluster;
using namespace std::chrono_literals;
namespace wf = caf_cluster::workflow;
namespace wd = caf_cluster::workflow::detail;

namespace {

using body_fn = std::function<wd::body_result(wf::context&)>;

struct fixes_fixture {
  testing::test_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<wd::workflow_spec> spec
    = std::make_shared<wd::workflow_spec>();
  wd::run_state st;
  int runs = 0;

  fixes_fixture() {
    spec->name = "fix";
    st.sys = &sys;
    st.spec = spec.get();
    st.journal.workflow = "fix";
    st.journal.execution_id = "e1";
    st.journal.status = wf::execution_status::running;
    st.now_ms = 1000;
  }

  void body(body_fn f) {
    spec->body = [f](wf::context& ctx, const std::string&) {
      return f(ctx);
    };
  }

  // One advance from the current journal, with an empty outbox.
  wd::advance_end step() {
    st.outbox.clear();
    return wd::advance(st);
  }

  wd::body_result done(const std::string& text) {
    auto bytes = wd::encode(sys, text);
    REQUIRE(bytes);
    return wd::body_result{true, *bytes, {}};
  }

  const wd::outgoing* sent(const std::string& key) const {
    auto i = std::find_if(st.outbox.begin(), st.outbox.end(),
                          [&](const wd::outgoing& x) {
                            return x.primary_key == key;
                          });
    return i == st.outbox.end() ? nullptr : &*i;
  }
};

wf::journal_step make_step(wf::step_kind kind, std::string name, uint8_t state,
                           int32_t attempt = 0) {
  wf::journal_step s;
  s.kind = kind;
  s.name = std::move(name);
  s.state = state;
  s.attempt = attempt;
  return s;
}

} // namespace

TEST_SUITE_BEGIN("workflow.fixes");

TEST_CASE_FIXTURE(fixes_fixture,
                  "M1: a replay that reaches a pending sleep sends its "
                  "wake-up again") {
  body([this](wf::context& ctx) {
    ctx.activity("debit", [] {
      return 1;
    });
    ctx.sleep("cool-off", 1h);
    return done("ok");
  });
  // As a transactional activity stores it: the journal, without its wake.
  auto debit = make_step(wf::step_kind::activity, "debit/1", wf::step_state::ok,
                         1);
  debit.value = *wd::encode(sys, 1);
  st.journal.steps.push_back(debit);
  auto nap = make_step(wf::step_kind::sleep, "cool-off",
                       wf::step_state::pending);
  nap.wake_ms = 4'000'000;
  st.journal.steps.push_back(nap);
  CHECK(step() == wd::advance_end::suspended);
  auto* wake = sent("clock/cool-off");
  REQUIRE(wake != nullptr);
  CHECK(wake->deliver_at_ms == 4'000'000);
  CHECK(wake->entity_id == "e1");
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "M1, R2: a replay that reaches a pending child does not "
                  "start it again (the start was stored before the journal; "
                  "a second one could restart a purged child), and an ended "
                  "journal sends its messages again") {
  const auto child_def
    = wf::workflow<std::string, std::string>("kid").idempotency_key(
      [](const std::string& x) {
        return x;
      });
  body([this, child_def](wf::context& ctx) {
    auto r = ctx.child(child_def, std::string{"k"});
    return done(r && r->ok() ? r->value() : "no");
  });
  auto name = "kid/" + child_def.execution_id("k");
  st.journal.steps.push_back(
    make_step(wf::step_kind::child, name, wf::step_state::pending));
  CHECK(step() == wd::advance_end::suspended);
  CHECK(sent("start") == nullptr);
  // An ended journal with a parent and a retention.
  spec->retention = 1min;
  wd::run_state ended;
  ended.sys = &sys;
  ended.spec = spec.get();
  ended.journal = st.journal;
  ended.journal.status = wf::execution_status::complete;
  ended.journal.completed_ms = 5000;
  ended.journal.parent = wf::parent_ref{"mom", "m1", "", false};
  wd::emit_final(ended);
  REQUIRE(ended.outbox.size() == 2);
  CHECK(ended.outbox[0].entity_type == "workflow/mom");
  CHECK(ended.outbox[0].primary_key == "child/fix/e1");
  CHECK(ended.outbox[1].primary_key == "purge");
  CHECK(ended.outbox[1].deliver_at_ms == 65'000);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "M4: an execution ends, and starts a child, only in an "
                  "advance without new work") {
  st.journal.parent = wf::parent_ref{"mom", "m1", "", false};
  body([this](wf::context& ctx) {
    auto x = ctx.activity("ship", [this] {
      ++runs;
      return 7;
    });
    return done("shipped " + std::to_string(x ? *x : 0));
  });
  CHECK(step() == wd::advance_end::yielded);
  CHECK(runs == 1);
  CHECK(st.journal.status == wf::execution_status::running);
  CHECK(st.journal.result.empty());
  CHECK(sent("child/fix/e1") == nullptr);
  CHECK(step() == wd::advance_end::ended);
  CHECK(runs == 1);
  CHECK(st.journal.status == wf::execution_status::complete);
  CHECK(sent("child/fix/e1") != nullptr);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "M4: a child is started in the advance after the activity "
                  "its payload comes from") {
  const auto child_def
    = wf::workflow<std::string, std::string>("kid").idempotency_key(
      [](const std::string& x) {
        return x;
      });
  body([this, child_def](wf::context& ctx) {
    auto x = ctx.activity("pick", [] {
      return std::string{"a"};
    });
    ctx.start_child(child_def, x ? *x : std::string{});
    return done("ok");
  });
  CHECK(step() == wd::advance_end::yielded);
  CHECK(sent("start") == nullptr);
  // The start is new work too: the end waits for one more advance.
  CHECK(step() == wd::advance_end::yielded);
  CHECK(sent("start") != nullptr);
  CHECK(step() == wd::advance_end::ended);
  CHECK(sent("start") == nullptr);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "M2, S8: a resume runs only the failed activity again, "
                  "with new idempotency keys") {
  spec->suspend_on_failure = true;
  std::vector<std::string> keys;
  int charges = 0;
  int fraud_fails = 1;
  int ship_fails = 1;
  int failures = 1;
  body([&, this](wf::context& ctx) {
    // A failure the body handles, then retries that succeed.
    auto fraud = ctx.activity("fraud", [&]() -> caf::expected<int> {
      if (fraud_fails-- > 0)
        return caf::make_error(errc::invalid_argument, "fraud service down");
      return 1;
    });
    if (!fraud)
      ctx.activity("fallback", [] {
        return 2;
      });
    ctx.activity(
      "charge",
      [&](const wf::activity_attempt& a) -> caf::expected<int> {
        ++charges;
        if (failures-- > 0)
          return caf::make_error(errc::invalid_argument, "declined");
        return a.attempt;
      },
      wf::retry_policy{3, caf::timespan{0}});
    auto shipped = ctx.activity(
      "ship", [&](const wf::activity_attempt& a) -> caf::expected<int> {
        keys.push_back(a.idempotency_key());
        if (ship_fails-- > 0)
          return caf::make_error(errc::invalid_argument, "no truck");
        return 3;
      });
    if (!shipped)
      return wd::body_result{false, {}, shipped.error()};
    return done("ok");
  });
  for (int i = 0; i < 10 && st.journal.status == wf::execution_status::running;
       ++i)
    step();
  REQUIRE(st.journal.suspended_failed);
  CHECK(charges == 2);
  wd::prepare_resume(st.journal);
  std::vector<std::string> names;
  for (auto& s : st.journal.steps)
    names.push_back(s.name);
  CHECK(names
        == std::vector<std::string>{"fraud/1", "fallback/1", "charge/1",
                                    "charge/2"});
  for (int i = 0; i < 10 && st.journal.status == wf::execution_status::running;
       ++i)
    step();
  CHECK(st.journal.status == wf::execution_status::complete);
  CHECK(charges == 2);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0] == "e1/ship/1");
  CHECK(keys[1] == "e1/ship/1@1");
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "S3: throws of any type are recorded failures") {
  body([](wf::context& ctx) -> wd::body_result {
    auto x = ctx.activity("odd", []() -> int {
      throw 42;
    });
    CHECK(!x);
    CHECK(x.error() == errc::entity_failed);
    throw std::string{"not an exception"};
  });
  CHECK(step() == wd::advance_end::yielded);
  CHECK(step() == wd::advance_end::ended);
  CHECK(st.journal.status == wf::execution_status::failed);
  CHECK(st.journal.error == errc::entity_failed);
  REQUIRE(st.journal.steps.size() == 1);
  CHECK(st.journal.steps[0].state == wf::step_state::failed);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "S2: reused names: retry sleeps get keys of their own, a "
                  "deferred awaited twice returns its value twice") {
  std::map<int, int> fails{{0, 1}, {1, 1}};
  body([&, this](wf::context& ctx) {
    for (int i = 0; i < 2; ++i)
      ctx.activity(
        "reserve",
        [&, i]() -> caf::expected<int> {
          if (fails[i]-- > 0)
            return caf::make_error(errc::invalid_argument, "busy");
          return i;
        },
        wf::retry_policy{2, 1s});
    auto a = ctx.await(wf::deferred<int32_t>{"go"});
    auto b = ctx.await(wf::deferred<int32_t>{"go"});
    return done(std::to_string(a ? *a : -1) + std::to_string(b ? *b : -1));
  });
  std::vector<std::string> wakes;
  for (int i = 0; i < 20 && !is_final(st.journal.status); ++i) {
    if (step() != wd::advance_end::suspended)
      continue;
    // Complete what the execution waits for, as the entity would.
    auto& s = st.journal.steps.back();
    REQUIRE(s.state == wf::step_state::pending);
    if (s.kind == wf::step_kind::sleep) {
      REQUIRE(st.outbox.size() == 1);
      wakes.push_back(st.outbox[0].primary_key);
    } else {
      s.value = *wd::encode(sys, int32_t{4});
    }
    s.state = wf::step_state::ok;
  }
  CHECK(st.journal.status == wf::execution_status::complete);
  REQUIRE(wakes.size() == 2);
  CHECK(wakes[0] != wakes[1]);
  std::string result;
  REQUIRE(!wd::decode_into(sys, st.journal.result, result));
  CHECK(result == "44");
  // The second await took no step of its own.
  CHECK(std::count_if(st.journal.steps.begin(), st.journal.steps.end(),
                      [](const wf::journal_step& x) {
                        return x.kind == wf::step_kind::deferred;
                      })
        == 1);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "S7: changed code that ends early, or goes past a failure "
                  "into the compensations, fails as nondeterministic") {
  auto a = make_step(wf::step_kind::activity, "a/1", wf::step_state::ok, 1);
  a.value = *wd::encode(sys, 1);
  SUBCASE("a body that returns before the journal's last step") {
    auto b = a;
    b.name = "b/1";
    st.journal.steps = {a, b};
    body([this](wf::context& ctx) {
      ctx.activity("a", [] {
        return 1;
      });
      return done("short");
    });
  }
  SUBCASE("a new activity where the journal has a compensation") {
    st.journal.steps
      = {a, make_step(wf::step_kind::compensation, "undo", wf::step_state::ok)};
    body([this](wf::context& ctx) {
      ctx.activity("a", [] {
        return 1;
      });
      ctx.activity("b", [] {
        return 2;
      });
      return done("long");
    });
  }
  SUBCASE("a fan-out where the journal has a compensation") {
    st.journal.steps
      = {a, make_step(wf::step_kind::compensation, "undo", wf::step_state::ok)};
    body([this](wf::context& ctx) {
      ctx.activity("a", [] {
        return 1;
      });
      ctx.all(std::vector<wf::activity_call<int>>{wf::call<int>("b", [] {
        return 2;
      })});
      return done("long");
    });
  }
  for (int i = 0; i < 5 && !is_final(st.journal.status); ++i)
    step();
  CHECK(st.journal.status == wf::execution_status::failed);
  CHECK(st.journal.error == errc::nondeterministic_workflow);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "S10: with the inline executor a fan-out runs on the "
                  "calling thread") {
  spec->exec = wf::make_inline_executor();
  std::vector<std::thread::id> threads;
  body([&, this](wf::context& ctx) {
    auto call = [&] {
      threads.push_back(std::this_thread::get_id());
      return 1;
    };
    ctx.all(std::vector<wf::activity_call<int>>{wf::call<int>("x", call),
                                                wf::call<int>("y", call)});
    return done("ok");
  });
  step();
  REQUIRE(threads.size() == 2);
  CHECK(threads[0] == std::this_thread::get_id());
  CHECK(threads[1] == std::this_thread::get_id());
  CHECK(st.journal.steps.size() == 2);
}

TEST_CASE("S6: a thread pool whose last reference goes away in its own job "
          "ends cleanly") {
  // Resets the pool from the job's thread, then reports.
  struct last_ref {
    std::shared_ptr<wf::executor> pool;
    std::promise<void> done;
    ~last_ref() {
      pool.reset();
      done.set_value();
    }
  };
  auto ref = std::make_shared<last_ref>();
  ref->pool = wf::make_thread_pool_executor(2);
  auto done = ref->done.get_future();
  auto* pool = ref->pool.get();
  std::atomic<int> ran{0};
  pool->run([ref, &ran]() mutable {
    ++ran;
    ref.reset();
  });
  ref.reset();
  REQUIRE(done.wait_for(10s) == std::future_status::ready);
  CHECK(ran == 1);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "S9: a body that swallows a suspension fails clearly") {
  int after = 0;
  body([&, this](wf::context& ctx) {
    try {
      ctx.await(wf::deferred<int32_t>{"go"});
    } catch (...) {
      // swallowed
    }
    ++after;
    return done("too early");
  });
  for (int i = 0; i < 5 && !is_final(st.journal.status); ++i)
    step();
  CHECK(st.journal.status == wf::execution_status::failed);
  CHECK(st.journal.error == errc::entity_failed);
  CHECK(to_string(st.journal.error).find("rethrow") != std::string::npos);
}

TEST_CASE("S6: a stopped thread pool refuses new jobs") {
  auto pool = wf::make_thread_pool_executor(1);
  std::promise<void> first;
  auto ran = first.get_future();
  pool->run([&first] {
    first.set_value();
  });
  REQUIRE(ran.wait_for(10s) == std::future_status::ready);
  pool->stop();
  std::atomic<int> later{0};
  pool->run([&later] {
    ++later;
  });
  pool.reset(); // joins: the thread ended after stop
  CHECK(later == 0);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "R4: a resume after a fan-out runs only the failed call "
                  "again, not the calls recorded after it") {
  spec->suspend_on_failure = true;
  int charges = 0;
  int reserve_fails = 1;
  body([&, this](wf::context& ctx) -> wd::body_result {
    auto rs = ctx.all(std::vector<wf::activity_call<int>>{
      wf::call<int>("reserve",
                    [&]() -> caf::expected<int> {
                      if (reserve_fails-- > 0)
                        return caf::make_error(errc::invalid_argument,
                                               "no stock");
                      return 1;
                    }),
      wf::call<int>("charge", [&] {
        return ++charges;
      })});
    if (!rs[0])
      return wd::body_result{false, {}, rs[0].error()};
    return done("ok");
  });
  for (int i = 0; i < 10 && st.journal.status == wf::execution_status::running;
       ++i)
    step();
  REQUIRE(st.journal.suspended_failed);
  CHECK(charges == 1);
  wd::prepare_resume(st.journal);
  for (int i = 0; i < 10 && st.journal.status == wf::execution_status::running;
       ++i)
    step();
  CHECK(st.journal.status == wf::execution_status::complete);
  CHECK(charges == 1);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "R1: new work after a child's start waits for the next "
                  "advance") {
  auto child_def
    = wf::workflow<std::string, std::string>("kid").idempotency_key(
      [](const std::string& x) {
        return x;
      });
  int after = 0;
  body([&, this](wf::context& ctx) -> wd::body_result {
    ctx.start_child(child_def, std::string{"k-1"});
    ctx.activity("after", [&] {
      return ++after;
    });
    return done("ok");
  });
  CHECK(step() == wd::advance_end::yielded);
  CHECK(after == 0);
  CHECK(sent("start") != nullptr);
  CHECK(step() == wd::advance_end::yielded);
  CHECK(after == 1);
  // The start is not sent again on replays.
  CHECK(sent("start") == nullptr);
}

TEST_CASE_FIXTURE(fixes_fixture,
                  "R3: a purged journal still tells its parents the outcome, "
                  "without scheduling another purge") {
  spec->retention = std::chrono::minutes{1};
  body([this](wf::context&) {
    return done("ok");
  });
  CHECK(step() == wd::advance_end::ended);
  REQUIRE(st.journal.status == wf::execution_status::complete);
  st.journal.purged = true;
  st.journal.parents.push_back(wf::parent_ref{"mom", "p1", "", false});
  st.outbox.clear();
  wd::run_state copy;
  copy.sys = &sys;
  copy.spec = spec.get();
  copy.journal = st.journal;
  copy.journal.purged = false;
  wd::emit_final(copy, false);
  REQUIRE(copy.outbox.size() == 1);
  CHECK(copy.outbox[0].entity_type == "workflow/mom");
  CHECK(copy.outbox[0].primary_key == "child/fix/e1");
}

TEST_SUITE_END();
