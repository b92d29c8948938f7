#include "deterministic/test_fixture.hpp"

#include "deterministic/ledger_entity.hpp"
#include "deterministic/probe_entity.hpp"


#include "caf_cluster/errc.hpp"

namespace caf_cluster::testing {

test_config::test_config()
  : test_system_config([](caf::actor_system_config& cfg) {
      add_entity_types(cfg, ledger_entity());
      add_entity_types(cfg, probe::probe_entity);
    }) {
  // nop
}

fixture::fixture(sharding_config scfg)
  : sys(cfg),
    sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
    clock(std::make_shared<manual_wall_clock>(1'767'225'600'000)) {
  // Keeps actor-clock arithmetic away from the epoch.
  sched.clock().current_time += std::chrono::hours(1);
  auto made = sharding::make(sys, std::move(scfg), clock);
  if (!made)
    throw std::runtime_error("sharding::make failed: " + render(made.error()));
  cluster.emplace(std::move(*made));
  run();
}

fixture::~fixture() {
  if (cluster)
    cluster->shutdown();
  cluster.reset();
  run();
  // Fire the shutdown deadlines of managers with busy entities.
  while (sched.clock().has_pending_timeout()) {
    sched.clock().trigger_timeouts();
    run();
  }
}

size_t fixture::run() {
  return sched.run();
}

void fixture::advance(caf::timespan d) {
  sched.clock().advance_time(d);
  run();
}

size_t fixture::pending_timers() const {
  return sched.clock().schedule().size();
}

std::string render(const caf::error& x) {
  return caf::to_string(x);
}

} // namespace caf_cluster::testing
