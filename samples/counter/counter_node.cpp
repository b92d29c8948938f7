// counter-node: one runner of the distributed counter. It hosts the Counter
// entity, joins the cluster of `--storage`, prints `ready <host>:<port>` once
// it listens and is registered, and leaves gracefully on SIGTERM or SIGINT
// (its shards move to the other runners at once).
//
//   counter-node --host 127.0.0.1 --port 4001 --storage sqlite:/tmp/c.db
//                [--cluster.<key>=<value> ...]
#include "caf_cluster/gateway/http_api.hpp"
#include "caf_cluster/node/run_node.hpp"
#include "caf_cluster/sharding.hpp"

#include "counter_entity.hpp"

int main(int argc, char** argv) {
  caf_cluster::node_program program;
  program.name = "counter-node";
  program.summary = "One runner of the distributed counter: hosts the Counter "
                    "entity until SIGTERM or SIGINT.";
  program.configure = counter::add_counter_types;
  program.start = [](caf_cluster::sharding& cluster,
                     const caf_cluster::node_args&) {
    return cluster.register_entity(counter::counter_entity,
                                   counter::counter_impl);
  };
  // With --cluster.http-listen: POST /entities/Counter/{id}/increment with
  // {"amount": 5}, an Idempotency-Key header counting it once.
  program.http = [](caf_cluster::gateway::http_api& api,
                    const caf_cluster::node_args&) {
    api.add_entity(counter::counter_entity)
      .message<counter::increment>({"amount", "key"})
      .idempotency_key("key")
      .message<counter::decrement>({"amount", "key"})
      .idempotency_key("key")
      .message<counter::get_value>();
  };
  return caf_cluster::run_node(argc, argv, program);
}
