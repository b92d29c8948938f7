#include "caf_cluster/testing/runner_actors.hpp"

#include <algorithm>

#include "caf/abstract_actor.hpp"

#include "caf_cluster/internal/sharding_access.hpp"

namespace caf_cluster::testing {

void runner_actors(const sharding& runner, actor_set which,
                   std::vector<caf::actor_id>& out) {
  auto st = internal::sharding_access::state(runner);
  switch (which) {
    case actor_set::all:
      for (auto& hdl : st->node->registry->participants())
        out.push_back(hdl.id());
      if (st->router)
        out.push_back(st->router.id());
      if (st->shard_manager)
        out.push_back(st->shard_manager.id());
      if (st->storage)
        out.push_back(st->storage.writer().id());
      if (st->recovery)
        out.push_back(st->recovery.id());
      break;
    case actor_set::shard_manager:
      if (st->shard_manager)
        out.push_back(st->shard_manager.id());
      break;
    case actor_set::storage_writer:
      if (st->storage)
        out.push_back(st->storage.writer().id());
      break;
  }
}

size_t run_except(caf::scheduler::test_coordinator& sched,
                  const std::vector<caf::actor_id>& frozen) {
  if (frozen.empty())
    return sched.run();
  return sched.run_jobs_filtered([&frozen](caf::resumable* job) {
    auto* actor = dynamic_cast<caf::abstract_actor*>(job);
    return actor == nullptr
           || std::find(frozen.begin(), frozen.end(), actor->id())
                == frozen.end();
  });
}

} // namespace caf_cluster::testing
