// The non-template side of engine and client: registration of execution
// entities, the awaiter actor and the control messages.
#include "caf_cluster/workflow/detail/core.hpp"

#include <chrono>
#include <random>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/settings.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/workflow/deferred.hpp"
#include "caf_cluster/workflow/engine.hpp"
#include "caf_cluster/workflow/internal/execution.hpp"

namespace caf_cluster::workflow::detail {

namespace {

using rewatch_atom = caf::atom_constant<caf::atom("wf_rewatch")>;
using giveup_atom = caf::atom_constant<caf::atom("wf_giveup")>;
using restart_atom = caf::atom_constant<caf::atom("wf_restart")>;

constexpr auto rewatch_interval = std::chrono::seconds{1};

entity_client<wf_actor> client_of(const sharding& cluster,
                                  const execution_ref& ref) {
  return cluster.make_client(execution_entity(ref.workflow, ref.shard_group));
}

int64_t nonce() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  auto x = static_cast<int64_t>(gen() >> 1);
  return x == 0 ? 1 : x;
}

struct awaiter_state {
  std::optional<caf::expected<wf_status>> result;
  std::vector<caf::response_promise> waiting;
  caf::error last_error;
  static inline const char* name = "workflow-awaiter";
};

using awaiter_ptr = caf::stateful_actor<awaiter_state>*;

// Keeps the result for a caller whose request has not arrived yet (the
// awaiter may learn the outcome before its caller's request is queued):
// quitting then would answer that caller with request_receiver_down.
void settle(awaiter_ptr self, caf::expected<wf_status> x) {
  if (self->state.result)
    return;
  self->state.result = std::move(x);
  if (self->state.waiting.empty())
    return;
  for (auto& rp : self->state.waiting) {
    if (*self->state.result)
      rp.deliver(**self->state.result);
    else
      rp.deliver(self->state.result->error());
  }
  self->state.waiting.clear();
  self->quit();
}

caf::behavior awaiter(awaiter_ptr self, entity_client<wf_actor> cl,
                      std::string id, std::string payload,
                      caf::timespan timeout) {
  auto on_status = [self](wf_status& st) {
    if (is_final(st.status))
      settle(self, std::move(st));
  };
  auto start = [self, cl, id, payload, timeout, on_status]() {
    cl.request(self, id, wf_start{payload, parent_ref{}}, timeout)
      .then(on_status, [self](caf::error& err) {
        // Keyed: starting again is safe (e.g. after a storage hiccup).
        self->state.last_error = err;
        self->delayed_send(self, rewatch_interval, restart_atom::value);
      });
  };
  auto watch = [self, cl, id, on_status]() {
    cl.request(self, id, wf_watch{caf::actor_cast<caf::actor>(self)},
               std::chrono::seconds{5})
      .then(on_status, [self](caf::error& err) {
        self->state.last_error = err;
      });
  };
  start();
  watch();
  self->delayed_send(self, rewatch_interval, rewatch_atom::value);
  self->delayed_send(self, timeout, giveup_atom::value);
  return {
    [self](caf::get_atom) -> caf::result<wf_status> {
      auto rp = self->make_response_promise();
      self->state.waiting.push_back(rp);
      if (auto x = std::move(self->state.result)) {
        self->state.result.reset();
        settle(self, std::move(*x));
      }
      return caf::delegated<wf_status>{};
    },
    [self](wf_finished& x) {
      settle(self, std::move(x.status));
    },
    [self, watch](rewatch_atom) {
      watch();
      self->delayed_send(self, rewatch_interval, rewatch_atom::value);
    },
    [start](restart_atom) {
      start();
    },
    [self, id](giveup_atom) {
      auto what = "workflow execution " + id + " did not end in time";
      if (self->state.last_error)
        what += " (last error: " + self->system().render(self->state.last_error)
          + ")";
      settle(self, caf::make_error(errc::timeout, what));
      // Nobody asked within the timeout: its caller is gone.
      self->quit();
    },
  };
}

caf::error control(const sharding& cluster, const execution_ref& ref,
                   caf::timespan timeout, caf::message msg) {
  auto cl = client_of(cluster, ref);
  caf::error result;
  auto handle = [&](auto x) -> caf::error {
    auto st = cl.ask(ref.execution_id, std::move(x), timeout);
    if (!st)
      return std::move(st.error());
    return caf::none;
  };
  if (msg.match_elements<wf_interrupt>())
    return handle(msg.get_as<wf_interrupt>(0));
  if (msg.match_elements<wf_resume>())
    return handle(msg.get_as<wf_resume>(0));
  return handle(msg.get_as<wf_purge_now>(0));
}

} // namespace

entity<wf_actor, execution_journal> execution_entity(const std::string& name,
                                                     const std::string& group,
                                                     caf::timespan max_idle) {
  auto def
    = entity<wf_actor>("workflow/" + name)
        .persisted<wf_start, wf_step, wf_wake, wf_deferred, wf_child_done,
                   wf_interrupt, wf_resume, wf_purge, wf_attach>()
        .durable_state<execution_journal>()
        .max_idle(max_idle)
        // Kept for ever: a start, step or wake whose key no longer dedupes
        // would be delivered to a journal that has moved on, which the
        // engine was not built to expect (the journal itself is state and
        // never expires). cluster.message-retention-by-type can override.
        .message_retention(retain_forever);
  if (!group.empty())
    def = def.shard_group(group);
  return def;
}

caf::error add_workflow(sharding& cluster,
                        std::shared_ptr<const workflow_spec> spec) {
  auto def = execution_entity(spec->name, spec->shard_group, spec->max_idle);
  auto counters = status_counters::make(cluster, spec->name);
  if (!counters)
    return std::move(counters.error());
  return cluster.register_entity(
    def, [spec, counters = std::move(*counters)](
           wf_actor::stateful_pointer<execution_journal> self,
           entity_context ctx) {
      return execution_behavior(self, std::move(ctx), spec, counters);
    });
}

caf::actor spawn_awaiter(const sharding& cluster, const execution_ref& ref,
                         std::string payload, caf::timespan timeout) {
  return cluster.system().spawn(awaiter, client_of(cluster, ref),
                                ref.execution_id, std::move(payload), timeout);
}

caf::expected<wf_status> execute(const sharding& cluster,
                                 const execution_ref& ref, std::string payload,
                                 caf::timespan timeout) {
  auto a = spawn_awaiter(cluster, ref, std::move(payload), timeout);
  caf::scoped_actor self{cluster.system()};
  caf::expected<wf_status> result{caf::make_error(errc::timeout)};
  self->request(a, timeout + std::chrono::seconds{2}, caf::get_atom::value)
    .receive(
      [&](wf_status& st) {
        result = std::move(st);
      },
      [&](caf::error& err) {
        if (err == caf::sec::request_timeout)
          result = caf::make_error(errc::timeout, ref.execution_id);
        else
          result = std::move(err);
      });
  return result;
}

caf::error start(const sharding& cluster, const execution_ref& ref,
                 std::string payload, caf::timespan timeout) {
  auto cl = client_of(cluster, ref);
  auto st = cl.ask(ref.execution_id, wf_start{std::move(payload), parent_ref{}},
                   timeout);
  if (!st)
    return std::move(st.error());
  return caf::none;
}

caf::expected<wf_status> poll(const sharding& cluster, const execution_ref& ref,
                              caf::timespan timeout) {
  return client_of(cluster, ref).ask(ref.execution_id, wf_poll{}, timeout);
}

caf::error interrupt(const sharding& cluster, const execution_ref& ref,
                     caf::timespan timeout) {
  return control(cluster, ref, timeout, caf::make_message(wf_interrupt{}));
}

caf::error resume(const sharding& cluster, const execution_ref& ref,
                  caf::timespan timeout) {
  return control(cluster, ref, timeout, caf::make_message(wf_resume{nonce()}));
}

caf::error purge(const sharding& cluster, const execution_ref& ref,
                 caf::timespan timeout) {
  return control(cluster, ref, timeout, caf::make_message(wf_purge_now{}));
}

caf::error complete_deferred(const sharding& cluster, std::string_view token,
                             wf_deferred x, caf::timespan timeout) {
  auto t = deferred_token::parse(token);
  if (!t)
    return std::move(t.error());
  x.name = t->deferred;
  auto cl = client_of(
    cluster, execution_ref{t->workflow, t->execution_id, t->shard_group});
  auto st = cl.ask(t->execution_id, std::move(x), timeout);
  if (!st)
    return std::move(st.error());
  return caf::none;
}

caf::error engine_error(const wf_status& st) {
  if (st.status == execution_status::interrupted)
    return st.error
      ? st.error
      : caf::make_error(errc::workflow_interrupted, "interrupted");
  if (st.status == execution_status::failed && st.error)
    return st.error;
  if (!is_final(st.status))
    return caf::make_error(errc::invalid_argument,
                           "the execution has not ended ("
                             + to_string(st.status) + ")");
  return caf::none;
}

} // namespace caf_cluster::workflow::detail

namespace caf_cluster::workflow {

std::shared_ptr<executor> engine::executor_for_workflows() {
  if (!opts_.exec) {
    auto& sys = cluster_.system();
    auto testing = caf::get_or(sys.config(), "scheduler.policy",
                               caf::atom("stealing"))
      == caf::atom("testing");
    opts_.exec = testing ? make_inline_executor()
                         : make_thread_pool_executor(opts_.threads);
  }
  return opts_.exec;
}

caf::error engine::fail(std::string_view token, caf::error err,
                        caf::timespan timeout) {
  detail::wf_deferred x;
  x.state = step_state::failed;
  x.error = std::move(err);
  return detail::complete_deferred(cluster_, token, std::move(x), timeout);
}

} // namespace caf_cluster::workflow
