#include "caf_cluster/internal/runtime.hpp"

#include <functional>
#include <memory>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/internal/local_sender.hpp"
#include "caf_cluster/internal/send_limits.hpp"
#include "caf_cluster/shard_hash.hpp"

namespace caf_cluster::internal {

namespace {

// Runs `then` once every actor of `first` is gone: the storage a single
// runner's entities store their replies through must outlive them.
void after_all(caf::actor_system& sys,
               std::vector<shard_participant_actor> first,
               std::function<void()> then) {
  if (first.empty()) {
    then();
    return;
  }
  sys.spawn([first, then](caf::event_based_actor* self) -> caf::behavior {
    auto left = std::make_shared<size_t>(first.size());
    for (auto& x : first)
      self->monitor(x);
    self->set_down_handler([self, left, then](caf::down_msg&) {
      if (--*left == 0) {
        then();
        self->quit();
      }
    });
    return {[](caf::unit_t) {}};
  });
}

} // namespace

runtime::runtime(caf::actor_system& sys, sharding_config cfg,
                 std::shared_ptr<wall_clock> clk, runner_options opts)
  : node(std::make_shared<node_context>(sys, std::move(cfg), std::move(clk),
                                        !opts.transport, opts.log)),
    options(std::move(opts)) {
  drain_requested = drain_promise_.get_future().share();
  refuser = spawn_refuser(sys, shutting_down, node);
}

runtime::~runtime() {
  begin_shutdown();
  caf::anon_send_exit(refuser, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(front_door, caf::exit_reason::user_shutdown);
  // A clustered node's shard manager stops the router, the writer, the
  // recovery and the transport once its participants are done, a single
  // runner its storage once they are (see begin_shutdown). Without a shard
  // manager (a runner that failed to start) nobody else stops them.
  if (!shard_manager) {
    if (router)
      send_locally(system(), router, shutdown_atom::value);
    if (options.transport)
      options.transport->close();
  }
}

caf::actor_system& runtime::system() const noexcept {
  return node->system;
}

caf::timespan runtime::send_timeout() const noexcept {
  return node->config.send_timeout;
}

void runtime::observe_ask(const std::string& entity_type,
                          caf::timespan elapsed) const {
  node->counters->ask_latency(entity_type).observe(elapsed);
}

detail::deliver_actor runtime::prepare(detail::entity_send& x) const {
  if (shutting_down->load(std::memory_order_relaxed))
    return refuser;
  auto& n = *node;
  // The refuser answers with the reason.
  if (check_send_limits(x, n.config))
    return refuser;
  // The one place the shard of a send is computed; it travels with it.
  auto index = shard_index(x.entity_id, n.config.shards_per_group);
  x.shard_index = index ? *index : 0;
  detail::deliver_actor local;
  bool persisted = false;
  size_t g = shard_table::not_hosted;
  n.registry->with(x.entity_type, [&](const registered_type& t) {
    local = t.deliver;
    persisted = find_persisted(t.persisted, x.payload) != nullptr;
    x.persisted = persisted; // the registered definition decides
    x.shard_group = t.group;
    g = t.group_slot;
  });
  // Unregistered here: the client's definition names the group.
  if (x.shard_group.empty())
    x.shard_group = n.entity_group();
  // The one place a send gets its identity: where it enters the cluster.
  // A type hosted elsewhere may persist it there, so it gets one too.
  if (x.meta.request_id == 0 && (local ? persisted : clustered())) {
    x.meta.request_id = n.snowflakes->next().value();
    x.meta.origin = n.origin;
  }
  if (local
      && (!router || x.shard_index == 0
          || n.shards->active(x.shard_index, *n.clock, g)))
    return local;
  if (router)
    return router;
  return refuser;
}

caf::actor runtime::route(const std::string& entity_type) const {
  if (shutting_down->load()
      || (!router && !node->registry->with(entity_type, [](auto&) {})))
    return caf::actor_cast<caf::actor>(refuser);
  return caf::actor_cast<caf::actor>(front_door);
}

bool runtime::begin_shutdown() {
  if (shutting_down->exchange(true))
    return false;
  node->registry->close();
  auto participants = node->registry->participants();
  for (auto& x : participants)
    caf::anon_send(x, shutdown_atom::value);
  // The list travels with the message: the shard manager must wait for
  // these even when this state is gone by the time it looks.
  if (shard_manager) {
    caf::anon_send(shard_manager, leave_atom::value, std::move(participants));
  } else {
    if (started)
      node->log->info("node", "stopping");
    after_all(system(), std::move(participants),
              [writer = storage.writer(), recovery = recovery,
               log = started ? node->log : nullptr] {
                if (recovery)
                  caf::anon_send_exit(recovery,
                                      caf::exit_reason::user_shutdown);
                if (writer)
                  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
                if (log)
                  log->info("node", "stopped");
              });
  }
  return true;
}

void runtime::drain() {
  begin_shutdown();
  std::call_once(drain_once_, [this] {
    drain_promise_.set_value();
  });
}

void simulate_crash(runtime& st) {
  st.shutting_down->store(true);
  st.node->registry->close();
  st.node->shards->lose_all();
  if (st.options.transport)
    st.options.transport->close();
  for (auto& x : st.node->registry->participants())
    caf::anon_send_exit(x, caf::exit_reason::kill);
  if (st.shard_manager)
    caf::anon_send_exit(st.shard_manager, caf::exit_reason::kill);
  // The router takes exit messages from actors of its own runner only.
  if (st.router)
    exit_locally(st.node->system, st.router, caf::exit_reason::kill);
  if (st.storage)
    caf::anon_send_exit(st.storage.writer(), caf::exit_reason::kill);
  if (st.recovery)
    caf::anon_send_exit(st.recovery, caf::exit_reason::kill);
}

} // namespace caf_cluster::internal
