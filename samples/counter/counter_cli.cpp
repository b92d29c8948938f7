// counter-cli: a client-only node of the distributed counter. It routes one
// command to the runner that owns the counter and prints the value.
//
//   counter-cli --storage sqlite:/tmp/c.db increment <id> <n>
//   counter-cli --storage sqlite:/tmp/c.db decrement <id> <n>
//   counter-cli --storage sqlite:/tmp/c.db get <id>
//
// Exit codes: 0 success, 1 the cluster failed (one line on stderr), 2 usage.
#include <charconv>
#include <iostream>
#include <string>

#include "caf/actor_system.hpp"

#include "caf_cluster/sharding.hpp"
#include "caf_cluster/socket_transport.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

#include "counter_entity.hpp"
#include "node_args.hpp"

namespace {

int fail(int code, const std::string& what) {
  std::cerr << "counter-cli: " << what << std::endl;
  return code;
}

constexpr const char* usage
  = "usage: counter-cli --storage URI (increment|decrement) <id> <n> | get <id>";

} // namespace

int main(int argc, char** argv) {
  auto args = counter::split_args(argc, argv, {"storage"});
  if (args.error)
    return fail(2, *args.error);
  if (!args.flags.count("storage"))
    return fail(2, std::string{"missing --storage; "} + usage);
  auto& pos = args.positional;
  if (pos.empty())
    return fail(2, usage);
  auto& command = pos[0];
  int64_t amount = 0;
  if (command == "increment" || command == "decrement") {
    if (pos.size() != 3)
      return fail(2, usage);
    auto& text = pos[2];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                     amount);
    if (ec != std::errc{} || end != text.data() + text.size())
      return fail(2, "not an integer: '" + text + "'");
  } else if (command == "get") {
    if (pos.size() != 2)
      return fail(2, usage);
  } else {
    return fail(2, "unknown command '" + command + "'; " + usage);
  }
  counter::node_config cfg;
  if (auto err = counter::parse_rest(cfg, args))
    return fail(2, caf::to_string(err));
  auto scfg = cfg.sharding();
  if (!scfg)
    return fail(2, caf::to_string(scfg.error()));
  caf::actor_system sys{cfg};
  auto driver = caf_cluster::storage::open_runner_driver(args.flags["storage"]);
  if (!driver)
    return fail(1, sys.render(driver.error()));
  caf_cluster::runner_options opts;
  opts.storage = std::move(*driver);
  opts.transport = caf_cluster::make_socket_transport(sys);
  opts.client_only = true;
  auto cluster = caf_cluster::sharding::make_runner(sys, std::move(*scfg),
                                                    std::move(opts));
  if (!cluster)
    return fail(1, sys.render(cluster.error()));
  auto client = cluster->make_client(counter::counter_entity);
  auto& id = pos[1];
  caf::expected<int64_t> value{0};
  if (command == "increment")
    value = client.ask(id, counter::increment{amount, {}});
  else if (command == "decrement")
    value = client.ask(id, counter::decrement{amount, {}});
  else
    value = client.ask(id, counter::get_value{});
  cluster->shutdown();
  if (!value)
    return fail(1, sys.render(value.error()));
  std::cout << *value << std::endl;
  return 0;
}
