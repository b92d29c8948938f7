#include "caf_cluster/internal/retention_sweeper.hpp"

#include <utility>

#include "caf/actor_system.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/spawn_options.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/system_messages.hpp"

#include "caf_cluster/internal/entity_registry.hpp"
#include "caf_cluster/internal/logger.hpp"
#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

namespace {

using sweep_atom = caf::atom_constant<caf::atom("cc_sweep")>;

struct sweeper_state {
  static inline const char* name = "caf_cluster.retention_sweeper";

  node_ptr node;
  std::shared_ptr<storage::message_driver> driver;
  std::map<std::string, caf::timespan> by_type;
  size_t deleted = 0; // by the sweep under way
  int failures = 0;   // sweeps in a row that failed
};

using sweeper_pointer = caf::stateful_actor<sweeper_state>*;

void schedule(sweeper_pointer self) {
  self->delayed_send(self, self->state.node->config.retention_sweep_interval,
                     sweep_atom::value);
}

// One batch; the next follows through the mailbox while batches come back
// full, so that a backlog never holds this actor (or storage) for long.
void sweep(sweeper_pointer self) {
  auto& st = self->state;
  auto& n = *st.node;
  auto rules = retention_rules(n.config, st.by_type, *n.registry);
  if (rules.empty()) {
    schedule(self);
    return;
  }
  auto batch = static_cast<size_t>(n.config.retention_batch_size);
  auto done = st.driver->expire_processed(n.clock->now_ms(), -1, rules, batch);
  if (!done) {
    if (done.error() == storage::errc::unsupported) {
      n.log->info("retention",
                  "message storage cannot expire processed "
                  "messages; they are kept: ",
                  done.error());
      return; // no more sweeps
    }
    // Said at the first failure and then every tenth: a database that is
    // down for long does not flood the log.
    if (st.failures++ % 10 == 0)
      n.log->warning("retention", "expiring processed messages failed (",
                     st.failures, " sweeps in a row; retried every ",
                     to_ms(n.config.retention_sweep_interval),
                     " ms): ", done.error());
    st.deleted = 0;
    schedule(self);
    return;
  }
  st.failures = 0;
  st.deleted += *done;
  if (*done == batch) {
    self->send(self, sweep_atom::value);
    return;
  }
  if (st.deleted > 0)
    n.log->debug("retention", "expired or stamped ", st.deleted,
                 " processed messages");
  st.deleted = 0;
  schedule(self);
}

caf::behavior sweeper_impl(sweeper_pointer self, node_ptr node,
                           std::shared_ptr<storage::message_driver> driver,
                           caf::actor writer) {
  auto& st = self->state;
  st.node = std::move(node);
  st.driver = std::move(driver);
  // Validated with the configuration, so it parses.
  if (auto by_type = st.node->config.retention_by_type())
    st.by_type = std::move(*by_type);
  self->monitor(writer);
  self->set_down_handler([self](caf::down_msg&) {
    self->quit();
  });
  schedule(self);
  return {
    [self](sweep_atom) {
      sweep(self);
    },
  };
}

} // namespace

std::vector<storage::retention_rule>
retention_rules(const sharding_config& cfg,
                const std::map<std::string, caf::timespan>& by_type,
                const entity_registry& registry) {
  std::map<std::string, caf::timespan> effective = by_type;
  registry.for_each([&](const std::string& type, const registered_type& x) {
    if (x.persisted.empty())
      return;
    effective.emplace(type,
                      x.message_retention.value_or(cfg.message_retention));
  });
  std::vector<storage::retention_rule> result;
  for (const auto& [type, retention] : effective)
    if (retention.count() > 0)
      result.push_back(storage::retention_rule{type, to_ms(retention)});
  return result;
}

caf::actor
spawn_retention_sweeper(caf::actor_system& sys, node_ptr node,
                        std::shared_ptr<storage::message_driver> driver,
                        caf::actor writer, bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(sweeper_impl, std::move(node),
                                    std::move(driver), std::move(writer));
  return sys.spawn(sweeper_impl, std::move(node), std::move(driver),
                   std::move(writer));
}

} // namespace caf_cluster::internal
