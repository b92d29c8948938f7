#include "flow.hpp"

#include "caf/actor_system_config.hpp"

#include "caf_cluster/sharding.hpp"
#include "caf_cluster/workflow/context.hpp"
#include "caf_cluster/workflow/engine.hpp"
#include "caf_cluster/workflow/outcome.hpp"

namespace bench {

namespace wf = caf_cluster::workflow;

caf::error add_bench_flow(caf_cluster::sharding& cluster) {
  wf::engine engine{cluster};
  return engine.add(bench_flow,
                    [](wf::context& ctx, const flow_input& in)
                      -> wf::outcome<int64_t, caf::error> {
                      int64_t sum = 0;
                      for (int32_t i = 0; i < in.steps; ++i) {
                        auto x = ctx.activity("step-" + std::to_string(i), [i] {
                          return int64_t{i};
                        });
                        if (!x)
                          return wf::fail(std::move(x.error()));
                        sum += *x;
                      }
                      return sum;
                    });
}

void add_bench_flow_types(caf::actor_system_config& cfg) {
  wf::add_workflow_types(cfg, bench_flow);
}

} // namespace bench
