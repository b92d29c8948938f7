// counter-node: one runner of the distributed counter. It hosts the Counter
// entity, joins the cluster of `--storage`, prints `ready <host>:<port>` once
// it listens and is registered, and leaves gracefully on SIGTERM or SIGINT
// (its shards move to the other runners at once).
//
//   counter-node --host 127.0.0.1 --port 4001 --storage sqlite:/tmp/c.db
//                [--cluster.<key>=<value> ...]
#include "counter_entity.hpp"
#include "runner_main.hpp"

int main(int argc, char** argv) {
  return counter::run_runner(
    "counter-node", argc, argv, {},
    [](counter::node_args&) -> caf::expected<counter::runner_setup> {
      return counter::runner_setup{[](caf_cluster::sharding& cluster) {
        return cluster.register_entity(counter::counter_entity,
                                       counter::counter_impl);
      }};
    });
}
