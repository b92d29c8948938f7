// One advance of an execution: replay the body from the top against the
// journal, then interpret how it ended (yield, suspension, result, failure,
// interrupt, nondeterminism) and run compensations one per advance.
#include <algorithm>

#include "caf/actor_system.hpp"
#include "caf/make_message.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/workflow/context.hpp"
#include "caf_cluster/workflow/detail/messages.hpp"
#include "caf_cluster/workflow/internal/run_state.hpp"

namespace caf_cluster::workflow::detail {

void run_state::send_self(caf::message msg, std::string key, int64_t at) {
  outgoing x;
  x.entity_type = "workflow/" + journal.workflow;
  x.entity_id = journal.execution_id;
  x.shard_group = spec->shard_group;
  x.payload = std::move(msg);
  x.primary_key = std::move(key);
  x.deliver_at_ms = at;
  outbox.push_back(std::move(x));
}

journal_step* run_state::reach(step_kind kind, const std::string& name) {
  auto& steps = journal.steps;
  if (pos >= steps.size())
    return nullptr;
  auto& s = steps[pos];
  if (s.kind == step_kind::compensation && journal.interrupt_requested) {
    // The body ran up to here before it was unwound by an interrupt.
    throw raise(interrupt_signal{});
  }
  // A compensation here without an interrupt: the body ended here before
  // (it failed), so code that goes on changed.
  if (s.kind != kind || s.name != name)
    throw raise(nondeterminism_signal{caf::make_error(
      errc::nondeterministic_workflow,
      "step " + std::to_string(pos + 1) + ": the journal has "
        + to_string(s.kind) + " '" + s.name + "', the code reached "
        + to_string(kind) + " '" + name + "'")});
  ++pos;
  return &s;
}

journal_step& run_state::append(step_kind kind, const std::string& name) {
  auto& steps = journal.steps;
  journal_step s;
  s.kind = kind;
  s.name = name;
  steps.insert(steps.begin() + static_cast<ptrdiff_t>(pos), std::move(s));
  return steps[pos++];
}

void run_state::begin_new() {
  if (journal.interrupt_requested)
    throw raise(interrupt_signal{});
  if (did_work)
    throw raise(yield_signal{});
}

bool run_state::take_completion(const std::string& key, journal_step& s) {
  auto& xs = journal.completions;
  auto i = std::find_if(xs.begin(), xs.end(), [&](const early_completion& x) {
    return x.name == key;
  });
  if (i == xs.end())
    return false;
  s.state = i->state;
  s.value = std::move(i->value);
  s.error = std::move(i->error);
  s.recorded_ms = now_ms;
  xs.erase(i);
  return true;
}

void emit_final(run_state& st, bool with_retention) {
  auto& j = st.journal;
  if (!is_final(j.status))
    return;
  auto tell = [&](const parent_ref& p) {
    wf_child_done done;
    done.child = j.workflow + "/" + j.execution_id;
    done.outcome = status_of(j);
    outgoing x;
    x.entity_type = "workflow/" + p.workflow;
    x.entity_id = p.execution_id;
    x.shard_group = p.shard_group;
    x.primary_key = done.primary_key();
    x.payload = caf::make_message(std::move(done));
    st.outbox.push_back(std::move(x));
  };
  if (!j.parent.workflow.empty() && !j.parent.detached)
    tell(j.parent);
  for (auto& p : j.parents)
    if (p.workflow != j.parent.workflow
        || p.execution_id != j.parent.execution_id || j.parent.detached)
      tell(p);
  if (with_retention && st.spec->retention) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                *st.spec->retention)
                .count();
    wf_purge p;
    auto key = p.primary_key();
    st.send_self(caf::make_message(p), std::move(key), j.completed_ms + ms);
  }
}

namespace {

enum class body_end { returned, yielded, suspended, interrupted, broken };

void finish(run_state& st, execution_status status) {
  auto& j = st.journal;
  j.status = status;
  j.completed_ms = st.now_ms;
  j.suspended_failed = false;
  // Pending sleeps are cleared: their wake-ups find nothing to do.
  for (auto& s : j.steps)
    if (s.kind == step_kind::sleep && s.state == step_state::pending) {
      s.state = step_state::cleared;
      s.recorded_ms = st.now_ms;
    }
  emit_final(st);
}

// Runs the compensations not run yet, in reverse order of registration, one
// new one per advance: throws yield_signal when one ran in this advance.
void run_compensations(run_state& st) {
  auto& j = st.journal;
  size_t done = 0;
  for (auto& s : j.steps)
    if (s.kind == step_kind::compensation)
      ++done;
  auto& cs = st.compensations;
  for (size_t k = done; k < cs.size(); ++k) {
    if (st.did_work)
      throw yield_signal{};
    auto& [name, fn] = cs[cs.size() - 1 - k];
    journal_step s;
    s.kind = step_kind::compensation;
    s.name = name;
    s.state = step_state::ok;
    try {
      fn();
    } catch (const std::exception& e) {
      s.state = step_state::failed;
      s.error = caf::make_error(errc::entity_failed,
                                std::string{"compensation threw: "} + e.what());
    } catch (...) {
      s.state = step_state::failed;
      s.error = caf::make_error(errc::entity_failed,
                                "compensation threw a non-standard exception");
    }
    s.recorded_ms = st.now_ms;
    j.steps.push_back(std::move(s));
    st.did_work = true;
  }
}

// The body failed (typed failure in j.result, or `err`); interrupted says
// whether the failure is the interrupt's unwinding.
advance_end fail_or_suspend(run_state& st, caf::error err, bool interrupted) {
  auto& j = st.journal;
  if (st.did_work) {
    // Decide only from the stored journal (see the end of advance).
    j.status = execution_status::running;
    return advance_end::yielded;
  }
  if (!interrupted && !j.interrupt_requested && st.spec->suspend_on_failure) {
    j.status = execution_status::suspended;
    j.suspended_failed = true;
    j.error = err
      ? std::move(err)
      : caf::make_error(errc::entity_failed, "the workflow returned a failure");
    j.result.clear();
    return advance_end::suspended;
  }
  try {
    run_compensations(st);
  } catch (yield_signal&) {
    j.status = execution_status::running;
    return advance_end::yielded;
  }
  if (interrupted || j.interrupt_requested) {
    j.result.clear();
    j.result_ok = false;
    j.error = caf::make_error(errc::workflow_interrupted,
                              "workflow/" + j.workflow + "/" + j.execution_id);
    finish(st, execution_status::interrupted);
  } else {
    j.error = std::move(err);
    finish(st, execution_status::failed);
  }
  return advance_end::ended;
}

} // namespace

advance_end advance(run_state& st) {
  auto& j = st.journal;
  ++j.replays;
  j.updated_ms = st.now_ms;
  st.pos = 0;
  st.did_work = false;
  st.signalled = false;
  st.compensations.clear();
  context ctx{&st};
  body_result out;
  caf::error thrown;
  try {
    out = st.spec->body(ctx, j.payload);
  } catch (yield_signal&) {
    j.status = execution_status::running;
    return advance_end::yielded;
  } catch (suspend_signal&) {
    j.status = execution_status::suspended;
    return advance_end::suspended;
  } catch (transaction_signal&) {
    return advance_end::needs_transaction;
  } catch (storage_signal&) {
    throw; // to the storage transaction, which rolls back
  } catch (interrupt_signal&) {
    return fail_or_suspend(st, caf::none, true);
  } catch (nondeterminism_signal& x) {
    if (st.did_work) {
      j.status = execution_status::running;
      return advance_end::yielded;
    }
    // No compensations: the code no longer matches what ran.
    j.result.clear();
    j.result_ok = false;
    j.error = std::move(x.reason);
    finish(st, execution_status::failed);
    return advance_end::ended;
  } catch (const std::exception& e) {
    thrown = caf::make_error(errc::entity_failed,
                             std::string{"workflow body threw: "} + e.what());
  } catch (...) {
    // Anything else too: an escaping throw would kill the runner, and the
    // next owner would replay into the same throw.
    thrown = caf::make_error(errc::entity_failed,
                             "workflow body threw a non-standard exception");
  }
  if (st.signalled) {
    // The body caught a signal (catch (...) without rethrow) and went on:
    // what it did after that is not what the journal says.
    return fail_or_suspend(
      st,
      caf::make_error(errc::entity_failed,
                      "the workflow body caught an engine signal and went "
                      "on: a catch (...) in a body must rethrow"),
      false);
  }
  if (thrown)
    return fail_or_suspend(st, std::move(thrown), false);
  if (out.error) {
    j.result.clear();
    return fail_or_suspend(st, std::move(out.error), false);
  }
  // A body that ends before the journal's last step changed too.
  for (auto i = st.pos; i < j.steps.size(); ++i)
    if (j.steps[i].kind != step_kind::compensation) {
      auto& s = j.steps[i];
      j.result.clear();
      j.result_ok = false;
      j.error = caf::make_error(errc::nondeterministic_workflow,
                                "step " + std::to_string(i + 1)
                                  + ": the journal has " + to_string(s.kind)
                                  + " '" + s.name
                                  + "', the code returned before it");
      finish(st, execution_status::failed);
      return advance_end::ended;
    }
  if (st.did_work) {
    // The body ended right after new work: end it in a replay-only advance,
    // so that the outcome sent to callers and parents comes from results
    // already stored (the new result may still be lost, e.g. by a fenced
    // store, and then run again with another value).
    j.status = execution_status::running;
    return advance_end::yielded;
  }
  if (out.ok) {
    j.result = std::move(out.value);
    j.result_ok = true;
    j.error = caf::none;
    finish(st, execution_status::complete);
    return advance_end::ended;
  }
  // A typed failure: its encoded value is the result the caller decodes.
  j.result = std::move(out.value);
  j.result_ok = false;
  return fail_or_suspend(st, caf::none, false);
}

wf_status status_of(const execution_journal& j) {
  wf_status x;
  if (j.purged)
    return x; // unknown: being deleted
  x.status = j.status;
  if (is_final(j.status)) {
    x.result = j.result;
    x.ok = j.result_ok;
    x.error = j.error;
  } else if (j.suspended_failed) {
    x.cause = j.error;
  }
  return x;
}

namespace {

// Whether the failed activity step `last` and what follows it are only the
// attempts (and retry sleeps) of that activity and compensations: then the
// failure ended the body and all its attempts may run again.
template <class Iter>
bool ends_body(const std::vector<journal_step>& steps, Iter last) {
  auto base = last->name.substr(0, last->name.rfind('/'));
  for (auto i = last.base(); i != steps.end(); ++i) {
    auto own_attempt = i->kind == step_kind::activity
      && i->name.compare(0, base.size() + 1, base + "/") == 0;
    auto own_sleep = i->kind == step_kind::sleep
      && i->name.compare(0, base.size() + 7, base + "/retry-") == 0;
    if (!own_attempt && !own_sleep && i->kind != step_kind::compensation)
      return false;
  }
  return true;
}

} // namespace

void prepare_resume(execution_journal& j) {
  auto& steps = j.steps;
  // The failure that ended the body is the last failed activity; a failure
  // the body handled earlier, and every result before the cut, stay.
  auto last = std::find_if(steps.rbegin(), steps.rend(), [](auto& s) {
    return s.kind == step_kind::activity && s.state == step_state::failed;
  });
  auto first = steps.end();
  if (last != steps.rend() && !ends_body(steps, last)) {
    // Not the tail of the journal (a fan-out call that failed beside
    // others that succeeded, or a failure the body handled before it
    // failed on its own): only that attempt runs again, in place.
    last->state = step_state::pending;
    last->value.clear();
    last->error = caf::none;
  } else if (last != steps.rend()) {
    // Back to its first attempt "<base>/1": all its attempts run again
    // (retry sleeps between them are cut too).
    first = std::prev(last.base());
    auto slash = first->name.rfind('/');
    auto base = first->name.substr(0, slash);
    for (auto i = first;; --i) {
      if (i->kind == step_kind::activity && i->name == base + "/1") {
        first = i;
        break;
      }
      if (i == steps.begin())
        break;
    }
  }
  for (auto i = first; i != steps.end(); ++i) {
    if ((i->kind == step_kind::deferred || i->kind == step_kind::child)
        && i->state != step_state::pending) {
      auto prefix = i->kind == step_kind::deferred ? "deferred/" : "child/";
      j.completions.push_back(
        early_completion{prefix + i->name, i->state, i->value, i->error});
    }
  }
  steps.erase(first, steps.end());
  j.suspended_failed = false;
  j.error = caf::none;
  j.result.clear();
  j.result_ok = false;
  j.status = execution_status::running;
  ++j.resumes;
}

} // namespace caf_cluster::workflow::detail
