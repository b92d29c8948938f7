// The context's steps: each one either answers from the journal (replay) or
// does new work, at most one new activity per advance.
#include "caf_cluster/workflow/context.hpp"

#include <algorithm>
#include <cmath>
#include <future>

#include "caf/actor_system.hpp"
#include "caf/make_message.hpp"

#include "caf_cluster/workflow/detail/messages.hpp"
#include "caf_cluster/workflow/internal/run_state.hpp"

namespace caf_cluster::workflow {

namespace {

detail::step_value value_of(const journal_step& s) {
  return detail::step_value{s.state, s.value, s.error};
}

void record(journal_step& s, detail::step_value& v, int64_t now_ms) {
  s.state = v.state;
  s.value = v.value;
  s.error = v.error;
  s.recorded_ms = now_ms;
}

caf::timespan retry_delay(const retry_policy& p, int32_t k) {
  // Delay before attempt k + 1: delay * backoff^(k - 1), at most max_delay.
  auto d = static_cast<double>(p.delay.count())
    * std::pow(std::max(p.backoff, 1.0), k - 1);
  auto cap = static_cast<double>(p.max_delay.count());
  return caf::timespan{static_cast<caf::timespan::rep>(std::min(d, cap))};
}

// Returns the step of `kind` named `name` before the replay position.
const journal_step* earlier(const detail::run_state& st, step_kind kind,
                            const std::string& name) {
  for (size_t i = 0; i < st.pos && i < st.journal.steps.size(); ++i) {
    auto& s = st.journal.steps[i];
    if (s.kind == kind && s.name == name)
      return &s;
  }
  return nullptr;
}

} // namespace

const std::string& context::execution_id() const {
  return st_->journal.execution_id;
}

const std::string& context::workflow_name() const {
  return st_->journal.workflow;
}

const std::string& context::shard_group() const {
  return st_->spec->shard_group;
}

int64_t context::now_ms() const {
  return st_->now_ms;
}

caf::actor_system& context::system() const {
  return *st_->sys;
}

detail::step_value context::run_activity(
  const std::string& name, const retry_policy& policy,
  const std::function<detail::step_value(const activity_attempt&)>& fn) {
  auto attempts = std::max(policy.max_attempts, int32_t{1});
  detail::step_value last;
  for (int32_t k = 1; k <= attempts; ++k) {
    auto step_name = name + "/" + std::to_string(k);
    auto* s = st_->reach(step_kind::activity, step_name);
    if (s && s->state != step_state::pending) {
      last = value_of(*s);
    } else {
      st_->begin_new();
      activity_attempt a{name, k, st_->journal.execution_id,
                         st_->journal.resumes};
      last = fn(a);
      if (!s)
        s = &st_->append(step_kind::activity, step_name);
      s->attempt = k;
      record(*s, last, st_->now_ms);
      st_->did_work = true;
    }
    if (last.state == step_state::ok || k == attempts)
      return last;
    auto d = retry_delay(policy, k);
    if (d.count() > 0)
      sleep(name + "/retry-" + std::to_string(k), d);
  }
  return last;
}

detail::step_value context::run_transaction(
  const std::string& name,
  const std::function<detail::step_value(storage::sql_transaction&)>& fn) {
  auto step_name = name + "/1";
  auto* s = st_->reach(step_kind::activity, step_name);
  if (s && s->state != step_state::pending)
    return value_of(*s);
  st_->begin_new();
  detail::step_value v;
  if (st_->tx_unsupported) {
    v.state = step_state::failed;
    v.error = caf::make_error(errc::unsupported,
                              "activity_in_transaction needs SQLite or "
                              "PostgreSQL message storage");
  } else if (st_->tx == nullptr) {
    // The entity runs this advance again inside a storage transaction.
    throw st_->raise(detail::transaction_signal{});
  } else {
    // A savepoint: a failed activity's writes roll back, its failure is
    // still recorded with the journal.
    // A throwing savepoint is a storage failure, not the workflow's.
    auto& tx = *st_->tx;
    auto exec = [&tx](const char* sql) {
      try {
        tx.execute(sql);
      } catch (const std::exception& e) {
        throw detail::storage_signal{caf::make_error(
          errc::entity_failed, std::string{"savepoint failed: "} + e.what())};
      }
    };
    exec("SAVEPOINT wf_activity");
    v = fn(*st_->tx); // run_and_encode catches everything
    if (v.state != step_state::ok)
      exec("ROLLBACK TO wf_activity");
    exec("RELEASE wf_activity");
  }
  if (!s)
    s = &st_->append(step_kind::activity, step_name);
  s->attempt = 1;
  record(*s, v, st_->now_ms);
  st_->did_work = true;
  return v;
}

std::vector<detail::step_value> context::run_all(
  std::vector<std::pair<std::string, std::function<detail::step_value()>>>
    fns) {
  auto n = fns.size();
  std::vector<detail::step_value> result(n);
  std::vector<size_t> missing;
  constexpr auto none = static_cast<size_t>(-1);
  std::vector<size_t> steps(n, none);
  auto& j = st_->journal;
  // Reached as one unit: every call is at its own position, all recorded in
  // the same advance (or none), so a replay sees them in the same order.
  for (size_t i = 0; i < n; ++i) {
    auto step_name = fns[i].first + "/1";
    auto at = st_->pos;
    if (at < j.steps.size()) {
      auto* s = st_->reach(step_kind::activity, step_name);
      steps[i] = at;
      if (s != nullptr && s->state != step_state::pending) {
        result[i] = value_of(*s);
        continue;
      }
    }
    missing.push_back(i);
  }
  if (missing.empty())
    return result;
  st_->begin_new();
  std::vector<std::future<detail::step_value>> running;
  // Inline executor (deterministic tests): one after another on this thread,
  // which alone may touch the test coordinator.
  auto sequential = st_->spec->exec && st_->spec->exec->runs_inline();
  for (auto i : missing)
    running.push_back(std::async(
      sequential ? std::launch::deferred : std::launch::async, fns[i].second));
  for (size_t k = 0; k < missing.size(); ++k) {
    auto i = missing[k];
    try {
      result[i] = running[k].get();
    } catch (const std::exception& e) {
      result[i].state = step_state::failed;
      result[i].error = caf::make_error(
        errc::entity_failed, std::string{"activity threw: "} + e.what());
    } catch (...) {
      result[i].state = step_state::failed;
      result[i].error = caf::make_error(
        errc::entity_failed, "activity threw a non-standard exception");
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (std::find(missing.begin(), missing.end(), i) == missing.end())
      continue;
    // Indexes, not pointers: appending may move the steps.
    journal_step* s = steps[i] != none
      ? &j.steps[steps[i]]
      : &st_->append(step_kind::activity, fns[i].first + "/1");
    s->attempt = 1;
    record(*s, result[i], st_->now_ms);
  }
  st_->did_work = true;
  return result;
}

void context::sleep(std::string name, caf::timespan d) {
  if (d.count() <= 0)
    return;
  // A name reached again (a loop, a retry of the same activity again) gets
  // the replay position appended, so that its wake-up has a key of its own.
  if (earlier(*st_, step_kind::sleep, name))
    name += "#" + std::to_string(st_->pos);
  auto* s = st_->reach(step_kind::sleep, name);
  if (!s) {
    if (st_->journal.interrupt_requested)
      throw st_->raise(detail::interrupt_signal{});
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (ms < 1)
      ms = 1;
    auto& step = st_->append(step_kind::sleep, name);
    step.wake_ms = st_->now_ms + ms;
    step.recorded_ms = st_->now_ms;
    if (st_->take_completion("clock/" + name, step))
      return;
    detail::wf_wake wake{name, st_->journal.resumes};
    auto key = wake.primary_key();
    st_->send_self(caf::make_message(std::move(wake)), std::move(key),
                   step.wake_ms);
    throw st_->raise(detail::suspend_signal{});
  }
  if (s->state == step_state::ok || s->state == step_state::cleared)
    return;
  if (st_->journal.interrupt_requested)
    throw st_->raise(detail::interrupt_signal{});
  // Sent again on every replay that reaches it: a journal stored before its
  // messages (a transactional activity) must not lose the wake-up. The key
  // makes the repeat a duplicate.
  detail::wf_wake wake{name, st_->journal.resumes};
  auto key = wake.primary_key();
  st_->send_self(caf::make_message(std::move(wake)), std::move(key),
                 s->wake_ms);
  throw st_->raise(detail::suspend_signal{});
}

detail::step_value context::await_raw(const std::string& name) {
  // Awaited again: the recorded value (no step).
  if (auto* x = earlier(*st_, step_kind::deferred, name))
    return value_of(*x);
  auto* s = st_->reach(step_kind::deferred, name);
  if (!s) {
    if (st_->journal.interrupt_requested)
      throw st_->raise(detail::interrupt_signal{});
    s = &st_->append(step_kind::deferred, name);
    s->recorded_ms = st_->now_ms;
    st_->take_completion("deferred/" + name, *s);
  }
  if (s->state == step_state::ok || s->state == step_state::failed)
    return value_of(*s);
  if (st_->journal.interrupt_requested)
    throw st_->raise(detail::interrupt_signal{});
  throw st_->raise(detail::suspend_signal{});
}

void context::compensate(std::string name, std::function<void()> fn) {
  st_->compensations.emplace_back(std::move(name), std::move(fn));
}

bool context::patched(std::string change_id) {
  auto& j = st_->journal;
  if (st_->pos < j.steps.size()) {
    auto& s = j.steps[st_->pos];
    if (s.kind == step_kind::patch && s.name == change_id) {
      ++st_->pos;
      return true;
    }
    // The execution started before the change: the old branch.
    return false;
  }
  auto& s = st_->append(step_kind::patch, change_id);
  s.state = step_state::ok;
  s.recorded_ms = st_->now_ms;
  return true;
}

void context::send_start(const detail::execution_ref& ref, std::string payload,
                         bool detached) {
  detail::wf_start start;
  start.payload = std::move(payload);
  start.parent = parent_ref{st_->journal.workflow, st_->journal.execution_id,
                            st_->spec->shard_group, detached};
  detail::outgoing out;
  out.entity_type = "workflow/" + ref.workflow;
  out.entity_id = ref.execution_id;
  out.shard_group = ref.shard_group;
  out.primary_key = start.primary_key();
  auto parent = start.parent;
  out.payload = caf::make_message(std::move(start));
  st_->outbox.push_back(out);
  if (detached)
    return;
  // The child may exist already (started by a client or another parent):
  // the start is then a duplicate, the attach is not.
  detail::wf_attach attach{std::move(parent)};
  out.primary_key = attach.primary_key();
  out.payload = caf::make_message(std::move(attach));
  st_->outbox.push_back(std::move(out));
}

detail::step_value context::run_child(const detail::execution_ref& ref,
                                      std::string payload, bool detached) {
  auto name = ref.workflow + "/" + ref.execution_id;
  // The same child again: its recorded outcome (no step, no second start).
  if (auto* x = earlier(*st_, step_kind::child, name))
    return value_of(*x);
  auto* s = st_->reach(step_kind::child, name);
  if (!s) {
    // The child's payload must come from stored results only: start it in
    // an advance without new work.
    st_->begin_new();
    s = &st_->append(step_kind::child, name);
    s->recorded_ms = st_->now_ms;
    send_start(ref, std::move(payload), detached);
    // New work after it waits for the next advance: a transactional
    // activity would otherwise store this journal before the start.
    st_->did_work = true;
    if (detached)
      s->state = step_state::ok;
    else
      st_->take_completion("child/" + name, *s);
  } else if (s->state == step_state::pending) {
    if (st_->journal.interrupt_requested) {
      // An interrupt of the parent interrupts the child it waits for.
      detail::outgoing out;
      out.entity_type = "workflow/" + ref.workflow;
      out.entity_id = ref.execution_id;
      out.shard_group = ref.shard_group;
      detail::wf_interrupt stop;
      out.primary_key = stop.primary_key();
      out.payload = caf::make_message(stop);
      st_->outbox.push_back(std::move(out));
      throw st_->raise(detail::interrupt_signal{});
    }
    // Not sent again: the advance that started it did no other new work,
    // so the start was stored before this journal; a second start could
    // restart a child that ended and was purged meanwhile.
  }
  if (s->state == step_state::ok || s->state == step_state::failed)
    return value_of(*s);
  if (st_->journal.interrupt_requested)
    throw st_->raise(detail::interrupt_signal{});
  throw st_->raise(detail::suspend_signal{});
}

} // namespace caf_cluster::workflow
