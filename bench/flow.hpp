// The workflow the workflow workloads execute: `steps` trivial activities
// in a row (each returns its index), so what is measured is the engine (the
// stored start, one stored step message and journal per activity, the
// replays), not the activities.
#pragma once

#include <cstdint>
#include <string>

#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"

#include "caf_cluster/fwd.hpp"
#include "caf_cluster/workflow/workflow.hpp"

namespace bench {

/// The payload: an idempotency key unique per execution, and how many
/// activities to run.
struct flow_input {
  /// The execution's key.
  std::string key;
  /// Activities in a row.
  int32_t steps = 3;
};

/// Makes `flow_input` CAF-inspectable.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flow_input& x) {
  return f(caf::meta::type_name("bench.flow_input"), x.key, x.steps);
}

/// The benchmark's workflow (entity group, keyed by `flow_input::key`);
/// its result is the sum of the activities' results.
inline const auto bench_flow
  = caf_cluster::workflow::workflow<flow_input, int64_t>("BenchFlow")
      .idempotency_key([](const flow_input& x) {
        return x.key;
      });

/// Registers the body of `bench_flow` on a runner.
caf::error add_bench_flow(caf_cluster::sharding& cluster);

/// Adds the types of `bench_flow` (every process of a workflow run).
void add_bench_flow_types(caf::actor_system_config& cfg);

} // namespace bench
