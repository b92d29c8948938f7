// orders-node: one runner of the order-processing sample. It hosts the
// OrderProcessing workflow (shard group `workflow`) and the Payment and
// Shipping entities, and prints a line per activity step:
//
//   [127.0.0.1:7101] order o-1: charge attempt 1 started
//   [127.0.0.1:7101] order o-1: charged 4200 cents, pay-o-1-1
//
//   orders-node --host 127.0.0.1 --port 7101 --storage sqlite:/tmp/o.db
//               --cluster.shard-groups=default,workflow
//               [--activity-delay-ms N] [--quiet] [--cluster.<key>=<value> ...]
//
// `--activity-delay-ms` makes every activity wait that long after its side
// effect, before its result is recorded: a runner killed then has charged
// but not recorded the charge, and the next owner runs the activity again
// (the Payment ledger still counts one charge). SIGTERM or SIGINT leave
// gracefully.
#include <charconv>
#include <string>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/gateway/http_workflow.hpp"
#include "caf_cluster/node/run_node.hpp"
#include "caf_cluster/sharding.hpp"

#include "order_workflow.hpp"

namespace {

caf::error parse_delay(const caf_cluster::node_args& args, int64_t& out) {
  auto text = args.get("activity-delay-ms", "0");
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size() || out < 0)
    return caf::make_error(caf_cluster::errc::invalid_argument,
                           "--activity-delay-ms: not a non-negative integer: '"
                             + text + "'");
  return caf::none;
}

} // namespace

int main(int argc, char** argv) {
  caf_cluster::node_program program;
  program.name = "orders-node";
  program.summary = "One runner of the order-processing sample: hosts the "
                    "OrderProcessing workflow and the Payment and Shipping "
                    "entities until SIGTERM or SIGINT.";
  program.flags = {
    {"activity-delay-ms", "N",
     "each activity waits N ms after its side effect, before its result is "
     "recorded (default 0)"},
    {"quiet", "", "print no line per activity step"},
  };
  program.configure = orders::add_order_types;
  program.check = [](const caf_cluster::node_args& args) {
    int64_t delay = 0;
    return parse_delay(args, delay);
  };
  program.start = [](caf_cluster::sharding& cluster,
                     const caf_cluster::node_args& args) {
    orders::activity_options opts;
    parse_delay(args, opts.delay_ms);
    opts.verbose = !args.has("quiet");
    return orders::add_order_workflow(cluster, opts);
  };
  // With --cluster.http-listen: POST /workflows/OrderProcessing/execute with
  // {"id": "o-1", "customer": "ada", "amount_cents": 4200, "items": ["book"]}.
  program.http = [](caf_cluster::gateway::http_api& api,
                    const caf_cluster::node_args&) {
    api.fields<orders::receipt>(
         {"order_id", "payment_id", "tracking", "amount_cents"})
      .fields<orders::order_error>({"code", "message"});
    caf_cluster::gateway::add_workflow(
      api, caf_cluster::workflow::engine{api.cluster()},
      orders::order_processing,
      {"id", "customer", "amount_cents", "items", "fail_shipping"});
  };
  return caf_cluster::run_node(argc, argv, program);
}
