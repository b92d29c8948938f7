// The execution entity: every trigger runs one advance of the body, stores
// the messages the advance leaves behind (acknowledged when durable), then
// answers; the runtime stores the answer together with the journal.
//
// A storage failure while storing those messages must not end in a stored
// error reply (the trigger would count as processed and the execution would
// stall). After a few immediate retries the entity answers and quits at once:
// the runtime's request for the state then fails, so it stores nothing and
// the trigger stays unprocessed in storage; the next claim delivers it again
// and the advance re-runs from the stored journal (its keyed sends dedupe).
#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/make_message.hpp"
#include "caf/send.hpp"

#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/log.hpp"
#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/message_storage.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/workflow/detail/codec.hpp"
#include "caf_cluster/workflow/detail/core.hpp"
#include "caf_cluster/workflow/detail/messages.hpp"
#include "caf_cluster/workflow/internal/execution.hpp"
#include "caf_cluster/workflow/internal/run_state.hpp"

namespace caf_cluster::workflow::detail {

namespace {

constexpr int max_store_attempts = 3;

struct env {
  std::shared_ptr<const workflow_spec> spec;
  entity_context ctx;
  message_storage storage;
  std::vector<caf::actor> watchers;
  // The advance running on the executor and the promise it answers.
  uint64_t advance_seq = 0;
  caf::typed_response_promise<wf_status> pending;
  // The journal the running advance started from (a transactional activity
  // runs the advance again from it).
  execution_journal before;
  // The runner's counters of executions by status.
  std::shared_ptr<const status_counters> counters;
};

using env_ptr = std::shared_ptr<env>;
using self_ptr = wf_actor::stateful_pointer<execution_journal>;

// Sends a stored row that should run now again, with the same key: its
// owner sees a duplicate of a stored original that nobody runs yet and
// delivers the original at once, instead of at its next sweep.
void nudge(const env_ptr& e, const outgoing& x) {
  auto cluster = e->ctx.cluster();
  if (!cluster)
    return;
  auto wf = x.entity_type.substr(std::string_view{"workflow/"}.size());
  auto cl = cluster->make_client(execution_entity(wf, x.shard_group));
  if (x.payload.match_elements<wf_step>())
    cl.tell(x.entity_id, x.payload.get_as<wf_step>(0));
  else if (x.payload.match_elements<wf_start>())
    cl.tell(x.entity_id, x.payload.get_as<wf_start>(0));
  else if (x.payload.match_elements<wf_child_done>())
    cl.tell(x.entity_id, x.payload.get_as<wf_child_done>(0));
  else if (x.payload.match_elements<wf_attach>())
    cl.tell(x.entity_id, x.payload.get_as<wf_attach>(0));
  else if (x.payload.match_elements<wf_interrupt>())
    cl.tell(x.entity_id, x.payload.get_as<wf_interrupt>(0));
}

// Stores `xs[i..]` one after the other, then calls `done(error)`.
void store_from(self_ptr self, env_ptr e,
                std::shared_ptr<std::vector<outgoing>> xs, size_t i,
                int attempt, std::function<void(caf::error)> done) {
  if (i == xs->size()) {
    done(caf::none);
    return;
  }
  auto& x = (*xs)[i];
  stored_send s;
  s.entity_type = x.entity_type;
  s.entity_id = x.entity_id;
  s.shard_group = x.shard_group;
  s.payload = x.payload;
  s.primary_key = x.primary_key;
  s.deliver_at_ms = x.deliver_at_ms;
  auto row = e->storage.make_row(s);
  if (!row) {
    done(std::move(row.error()));
    return;
  }
  e->storage.store(
    self, std::move(*row),
    [self, e, xs, i, done](store_outcome&) {
      if ((*xs)[i].deliver_at_ms == 0)
        nudge(e, (*xs)[i]);
      store_from(self, e, xs, i + 1, 0, done);
    },
    [self, e, xs, i, attempt, done](caf::error& err) {
      if (attempt + 1 < max_store_attempts)
        store_from(self, e, xs, i, attempt + 1, done);
      else
        done(err);
    });
}

// Makes `j` the execution's journal, counting the status it reaches.
void adopt(self_ptr self, const env_ptr& e, execution_journal j) {
  if (e->counters)
    e->counters->count(self->state.status, j.status);
  self->state = std::move(j);
}

void notify(self_ptr self, env_ptr& e, const wf_status& st) {
  if (!is_final(st.status))
    return;
  for (auto& w : e->watchers)
    caf::anon_send(w, wf_finished{self->state.execution_id, st});
  e->watchers.clear();
}

// Adopts `j` once the messages of `out` are stored, then delivers its status
// to `rp`.
void commit_to(self_ptr self, env_ptr e, execution_journal j,
               std::vector<outgoing> out,
               caf::typed_response_promise<wf_status> rp) {
  auto st = status_of(j);
  if (out.empty()) {
    adopt(self, e, std::move(j));
    rp.deliver(st);
    notify(self, e, st);
    return;
  }
  if (!e->storage) {
    rp.deliver(
      caf::make_error(errc::invalid_config, "workflows need message storage"));
    return;
  }
  auto xs = std::make_shared<std::vector<outgoing>>(std::move(out));
  auto jp = std::make_shared<execution_journal>(std::move(j));
  store_from(self, e, xs, 0, 0, [self, e, rp, jp, st](caf::error err) mutable {
    if (!err) {
      adopt(self, e, std::move(*jp));
      rp.deliver(st);
      notify(self, e, st);
      return;
    }
    // See the header comment: leave the trigger unprocessed.
    rp.deliver(err);
    self->quit(err);
  });
}

// Like commit_to; answers at once when nothing is to be stored.
caf::result<wf_status> commit(self_ptr self, env_ptr e, execution_journal j,
                              std::vector<outgoing> out) {
  if (out.empty()) {
    auto st = status_of(j);
    adopt(self, e, std::move(j));
    notify(self, e, st);
    return st;
  }
  auto rp = self->make_response_promise<wf_status>();
  commit_to(self, e, std::move(j), std::move(out), rp);
  return rp;
}

// Runs one advance on `st` and queues the continuation after a yield.
advance_end advance_and_continue(run_state& st) {
  auto end = advance(st);
  if (end == advance_end::yielded) {
    wf_step next{st.journal.next_step_seq++};
    auto key = next.primary_key();
    st.send_self(caf::make_message(next), std::move(key));
  }
  return end;
}

caf::result<wf_status> run_advance(self_ptr self, env_ptr e,
                                   execution_journal j) {
  if (j.purged) {
    // A parent that attached meanwhile still learns the outcome; the
    // retention's purge is not scheduled again.
    run_state st;
    st.sys = &self->system();
    st.spec = e->spec.get();
    st.journal = j;
    st.journal.purged = false;
    emit_final(st, false);
    return commit(self, e, std::move(j), std::move(st.outbox));
  }
  if (is_final(j.status)) {
    // Its messages again: the journal may have been stored without them.
    run_state st;
    st.sys = &self->system();
    st.spec = e->spec.get();
    st.journal = std::move(j);
    emit_final(st);
    return commit(self, e, std::move(st.journal), std::move(st.outbox));
  }
  if (j.suspended_failed || j.status == execution_status::unknown)
    return commit(self, e, std::move(j), {});
  auto st = std::make_shared<run_state>();
  st->sys = &self->system();
  st->spec = e->spec.get();
  e->before = j;
  st->journal = std::move(j);
  st->now_ms = e->ctx.now_ms();
  // The advance runs on the executor (activities may block); its result
  // comes back as a message, processed while the manager waits for this
  // handler's answer.
  auto rp = self->make_response_promise<wf_status>();
  e->pending = rp;
  auto seq = ++e->advance_seq;
  auto hdl = caf::actor_cast<wf_actor>(self);
  // The job keeps the spec (and its body) alive while it runs.
  e->spec->exec->run([st, seq, hdl, spec = e->spec] {
    auto end = -1; // the engine itself threw: see wf_advanced
    try {
      end = static_cast<int>(advance_and_continue(*st));
    } catch (...) {
      // nop
    }
    caf::anon_send(hdl, wf_advanced{st, seq, end});
  });
  return rp;
}

// The first new step of the advance is a transactional activity: run the
// advance again from the entity's journal inside a storage transaction that
// stores the resulting journal, so the activity's writes and its recorded
// result commit together. The body runs on the storage writer's thread.
void run_in_transaction(self_ptr self, env_ptr e,
                        caf::typed_response_promise<wf_status> rp) {
  auto fence = e->ctx.fence();
  auto st = std::make_shared<run_state>();
  st->sys = &self->system();
  st->spec = e->spec.get();
  st->journal = e->before;
  st->now_ms = e->ctx.now_ms();
  if (!fence || !e->storage) {
    rp.deliver(fence ? caf::make_error(errc::invalid_config,
                                       "workflows need message storage")
                     : fence.error());
    self->quit(caf::make_error(errc::entity_failed, "no fence"));
    return;
  }
  auto* sys = &self->system();
  auto work
    = [st, sys](storage::sql_transaction& tx) -> caf::expected<std::string> {
    st->tx = &tx;
    try {
      advance_and_continue(*st);
    } catch (storage_signal& x) {
      st->tx = nullptr;
      return std::move(x.reason);
    }
    st->tx = nullptr;
    return encode_value(*sys, st->journal);
  };
  e->storage.transact_state(
    self, *fence, e->ctx.address().entity_type, e->ctx.address().entity_id,
    work, [self, e, st, rp](caf::error err) mutable {
      if (!err) {
        commit_to(self, e, std::move(st->journal), std::move(st->outbox), rp);
        return;
      }
      if (err == errc::unsupported) {
        // No SQL storage: the activity is recorded as failed, unsupported.
        auto again = std::make_shared<run_state>();
        again->sys = &self->system();
        again->spec = e->spec.get();
        again->journal = e->before;
        again->now_ms = e->ctx.now_ms();
        again->tx_unsupported = true;
        advance_and_continue(*again);
        commit_to(self, e, std::move(again->journal), std::move(again->outbox),
                  rp);
        return;
      }
      // Fenced or a storage failure: leave the trigger unprocessed.
      rp.deliver(err);
      self->quit(err);
    });
}

// Deletes an ended execution: its journal, requests and replies. Runs for
// the volatile `wf_purge_now` only, whose reply is not stored (the request
// of a persisted message would be deleted before its reply is stored).
caf::result<wf_status> purge_now(self_ptr self, env_ptr e) {
  auto status = self->state.status;
  if (status == execution_status::unknown && !self->state.purged)
    // Nothing ran: early completions of a later start stay.
    return status_of(self->state);
  if (!is_final(status))
    return caf::make_error(errc::invalid_argument,
                           "only an ended execution can be purged");
  if (!e->storage)
    return caf::make_error(errc::invalid_config,
                           "workflows need message storage");
  auto rp = self->make_response_promise<wf_status>();
  e->storage.purge_entity(self, e->ctx.address().entity_type,
                          e->ctx.address().entity_id,
                          [self, rp](caf::error err) mutable {
                            if (err) {
                              rp.deliver(err);
                              return;
                            }
                            self->state = execution_journal{};
                            rp.deliver(status_of(self->state));
                          });
  return rp;
}

// Sends itself `wf_purge_now`, queued behind the current message.
void purge_later(const env_ptr& e) {
  if (auto cluster = e->ctx.cluster()) {
    auto& addr = e->ctx.address();
    auto wf = addr.entity_type.substr(std::string_view{"workflow/"}.size());
    cluster->make_client(execution_entity(wf, e->spec->shard_group))
      .tell(addr.entity_id, wf_purge_now{});
  }
}

// The retention deadline (persisted): marks the journal purged with this
// reply, then sends itself `wf_purge_now`, queued behind, to delete it all.
// Until the deletion succeeds, every trigger that finds the mark asks again
// (see working_copy), so a crash in between leaves nothing behind for good.
caf::result<wf_status> purge_due(self_ptr self, env_ptr e) {
  if (!is_final(self->state.status))
    return status_of(self->state);
  purge_later(e);
  auto j = self->state;
  j.purged = true;
  return commit(self, e, std::move(j), {});
}

// Copies the journal and names it (a trigger may arrive before the start).
execution_journal working_copy(self_ptr self, const env_ptr& e) {
  if (self->state.purged)
    purge_later(e);
  auto j = self->state;
  j.workflow = e->spec->name;
  j.execution_id = e->ctx.address().entity_id;
  return j;
}

// Completes step `kind`/`name` if it waits, else keeps it as an early
// completion under `key`.
void complete_step(execution_journal& j, step_kind kind,
                   const std::string& name, const std::string& key,
                   early_completion x, int64_t now_ms) {
  for (auto& s : j.steps) {
    if (s.kind != kind || s.name != name)
      continue;
    if (s.state != step_state::pending)
      return; // the first completion won
    s.state = x.state;
    s.value = std::move(x.value);
    s.error = std::move(x.error);
    s.recorded_ms = now_ms;
    return;
  }
  for (auto& c : j.completions)
    if (c.name == key)
      return;
  x.name = key;
  j.completions.push_back(std::move(x));
}

} // namespace

wf_actor::behavior_type
execution_behavior(wf_actor::stateful_pointer<execution_journal> self,
                   entity_context ctx, std::shared_ptr<const workflow_spec> spec,
                   std::shared_ptr<const status_counters> counters) {
  auto e = std::make_shared<env>(
    env{std::move(spec), ctx, {}, {}, 0, {}, {}, std::move(counters)});
  if (auto cluster = ctx.cluster())
    e->storage = cluster->messages();
  return {
    [self, e](wf_start& x) -> caf::result<wf_status> {
      auto j = working_copy(self, e);
      if (j.status != execution_status::unknown)
        // Delivered again (its reply was not stored): continue from the
        // stored journal, which may have been stored without its messages.
        return run_advance(self, e, std::move(j));
      j.payload = std::move(x.payload);
      j.parent = std::move(x.parent);
      j.status = execution_status::running;
      j.started_ms = e->ctx.now_ms();
      return run_advance(self, e, std::move(j));
    },
    [self, e](wf_step&) -> caf::result<wf_status> {
      return run_advance(self, e, working_copy(self, e));
    },
    [self, e](wf_wake& x) -> caf::result<wf_status> {
      auto j = working_copy(self, e);
      if (is_final(j.status))
        return run_advance(self, e, std::move(j));
      early_completion c{"", step_state::ok, {}, {}};
      complete_step(j, step_kind::sleep, x.name, "clock/" + x.name,
                    std::move(c), e->ctx.now_ms());
      // Even a duplicate completion advances (see wf_start).
      return run_advance(self, e, std::move(j));
    },
    [self, e](wf_deferred& x) -> caf::result<wf_status> {
      auto j = working_copy(self, e);
      if (is_final(j.status))
        return run_advance(self, e, std::move(j));
      early_completion c{"", x.state, std::move(x.value), std::move(x.error)};
      complete_step(j, step_kind::deferred, x.name, "deferred/" + x.name,
                    std::move(c), e->ctx.now_ms());
      // Even a duplicate completion advances (see wf_start).
      return run_advance(self, e, std::move(j));
    },
    [self, e](wf_child_done& x) -> caf::result<wf_status> {
      auto j = working_copy(self, e);
      if (is_final(j.status))
        return run_advance(self, e, std::move(j));
      auto bytes = encode(self->system(), x.outcome);
      early_completion c{"", step_state::ok, {}, {}};
      if (bytes)
        c.value = std::move(*bytes);
      else {
        c.state = step_state::failed;
        c.error = std::move(bytes.error());
      }
      complete_step(j, step_kind::child, x.child, "child/" + x.child,
                    std::move(c), e->ctx.now_ms());
      // Even a duplicate completion advances (see wf_start).
      return run_advance(self, e, std::move(j));
    },
    [self, e](wf_interrupt&) -> caf::result<wf_status> {
      auto j = working_copy(self, e);
      if (is_final(j.status))
        return run_advance(self, e, std::move(j));
      if (j.status == execution_status::unknown) {
        // Kept for the start: this reply is stored under the only key an
        // interrupt has, so a later interrupt would be a duplicate.
        j.interrupt_requested = true;
        return commit(self, e, std::move(j), {});
      }
      j.interrupt_requested = true;
      j.suspended_failed = false;
      return run_advance(self, e, std::move(j));
    },
    [self, e](wf_attach& x) -> caf::result<wf_status> {
      auto j = working_copy(self, e);
      auto& ps = j.parents;
      auto known = std::any_of(ps.begin(), ps.end(), [&](const parent_ref& p) {
        return p.workflow == x.parent.workflow
          && p.execution_id == x.parent.execution_id;
      });
      if (!known)
        ps.push_back(std::move(x.parent));
      // Ended already: run_advance tells every parent at once.
      if (is_final(j.status))
        return run_advance(self, e, std::move(j));
      return commit(self, e, std::move(j), {});
    },
    [self, e](wf_resume&) -> caf::result<wf_status> {
      auto j = working_copy(self, e);
      if (!j.suspended_failed)
        return status_of(j);
      prepare_resume(j);
      return run_advance(self, e, std::move(j));
    },
    [self, e](wf_purge&) -> caf::result<wf_status> {
      return purge_due(self, e);
    },
    [self, e](wf_purge_now&) -> caf::result<wf_status> {
      return purge_now(self, e);
    },
    [self, e](wf_poll&) -> caf::result<wf_status> {
      if (self->state.purged)
        purge_later(e);
      return status_of(self->state);
    },
    [self, e](wf_advanced& x) {
      if (x.seq != e->advance_seq || !x.st)
        return;
      auto rp = std::move(e->pending);
      e->pending = {};
      if (x.end < 0) {
        // Leave the trigger unprocessed, as after a failed store.
        auto err = caf::make_error(errc::entity_failed,
                                   "the workflow engine threw in an advance");
        rp.deliver(err);
        self->quit(err);
        return;
      }
      if (x.end == static_cast<int>(advance_end::needs_transaction)) {
        run_in_transaction(self, e, std::move(rp));
        return;
      }
      auto& st = *x.st;
      commit_to(self, e, std::move(st.journal), std::move(st.outbox), rp);
    },
    [self, e](wf_watch& x) -> caf::result<wf_status> {
      auto st = status_of(self->state);
      if (!is_final(st.status) && x.watcher
          && std::find(e->watchers.begin(), e->watchers.end(), x.watcher)
            == e->watchers.end())
        e->watchers.push_back(x.watcher);
      return st;
    },
  };
}

} // namespace caf_cluster::workflow::detail
