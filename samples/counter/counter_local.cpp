// counter-local: the complete example in one process. Registers the Counter
// entity on a single runner, then increments counter-1 by 5, decrements it by
// 2 and reads it back. With --cluster.storage=sqlite:<path> the Counter is the
// persisted one with a durable value (no port is opened): run it twice and
// the second run starts from the first run's value. --storage is short for
// --cluster.storage.
#include <iostream>

#include "caf/actor_system.hpp"

#include "caf_cluster/node/run_node.hpp"
#include "caf_cluster/sharding.hpp"

#include "counter_entity.hpp"

namespace {

template <class Definition>
int run(caf_cluster::sharding& cluster, const Definition& def) {
  auto& sys = cluster.system();
  if (auto err = cluster.register_entity(def, counter::counter_impl)) {
    std::cerr << "counter-local: " << sys.render(err) << '\n';
    return 1;
  }
  auto client = cluster.make_client(def);
  auto report = [&](const char* label, caf::expected<int64_t> value) {
    if (!value) {
      std::cerr << "counter-local: " << sys.render(value.error()) << '\n';
      return false;
    }
    std::cout << label << *value << std::endl;
    return true;
  };
  bool ok = report("After increment: ",
                   client.ask("counter-1", counter::increment{5, {}}))
    && report("After decrement: ",
              client.ask("counter-1", counter::decrement{2, {}}))
    && report("Current value: ", client.ask("counter-1", counter::get_value{}));
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  caf_cluster::node_program program;
  program.name = "counter-local";
  program.summary = "The distributed counter in one process: increments "
                    "counter-1 by 5, decrements it by 2 and reads it back "
                    "(persisted and durable with --storage sqlite:<path>).";
  program.configure = counter::add_counter_types;
  program.run = [](caf_cluster::sharding& cluster,
                   const caf_cluster::node_args&) {
    // Message storage exactly when cluster.storage names a database.
    if (!cluster.messages())
      return run(cluster, counter::volatile_counter_entity);
    std::cout << "Persisted in " << cluster.config().storage << std::endl;
    return run(cluster, counter::counter_entity);
  };
  return caf_cluster::run_node(argc, argv, program);
}
