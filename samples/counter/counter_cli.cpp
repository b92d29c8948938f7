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

#include "caf_cluster/errc.hpp"
#include "caf_cluster/node/run_node.hpp"
#include "caf_cluster/sharding.hpp"

#include "counter_entity.hpp"

namespace {

constexpr const char* usage = "(increment|decrement) ID N | get ID";

caf::expected<int64_t> parse_command(const caf_cluster::node_args& args) {
  auto bad = [](std::string what) {
    return caf::make_error(caf_cluster::errc::invalid_argument,
                           std::move(what));
  };
  auto& pos = args.positional;
  if (pos.empty())
    return bad(std::string{"missing command; usage: "} + usage);
  auto& command = pos[0];
  if (command == "get") {
    if (pos.size() != 2)
      return bad(std::string{"usage: get ID"});
    return int64_t{0};
  }
  if (command != "increment" && command != "decrement")
    return bad("unknown command '" + command + "'; usage: " + usage);
  if (pos.size() != 3)
    return bad("usage: " + command + " ID N");
  int64_t amount = 0;
  auto& text = pos[2];
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                   amount);
  if (ec != std::errc{} || end != text.data() + text.size())
    return bad("not an integer: '" + text + "'");
  return amount;
}

int run(caf_cluster::sharding& cluster, const caf_cluster::node_args& args) {
  auto& sys = cluster.system();
  auto client = cluster.make_client(counter::counter_entity);
  auto& command = args.positional[0];
  auto& id = args.positional[1];
  auto amount = *parse_command(args);
  caf::expected<int64_t> value{0};
  if (command == "increment")
    value = client.ask(id, counter::increment{amount, {}});
  else if (command == "decrement")
    value = client.ask(id, counter::decrement{amount, {}});
  else
    value = client.ask(id, counter::get_value{});
  if (!value) {
    std::cerr << "counter-cli: " << sys.render(value.error()) << std::endl;
    return caf_cluster::node_exit_failure;
  }
  std::cout << *value << std::endl;
  return caf_cluster::node_exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  caf_cluster::node_program program;
  program.name = "counter-cli";
  program.summary = "A client-only node of the distributed counter: routes one "
                    "command to the runner owning the counter and prints its "
                    "value.";
  program.positional_usage = usage;
  program.client_only = true;
  program.configure = counter::add_counter_types;
  program.check = [](const caf_cluster::node_args& args) {
    auto amount = parse_command(args);
    return amount ? caf::error{} : std::move(amount.error());
  };
  program.run = run;
  return caf_cluster::run_node(argc, argv, program);
}
