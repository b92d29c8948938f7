#include "node_args.hpp"

#include <algorithm>

#include "caf/actor_system_config.hpp"

#include "caf_cluster/socket_transport.hpp"

#include "counter_entity.hpp"

namespace counter {

node_args split_args(int argc, char** argv,
                     const std::vector<std::string>& names) {
  node_args result;
  result.rest.emplace_back(argc > 0 ? argv[0] : "counter");
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto known = [&](const std::string& name) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    if (arg.rfind("--", 0) == 0) {
      auto eq = arg.find('=');
      auto name = arg.substr(2, eq == std::string::npos ? std::string::npos
                                                        : eq - 2);
      if (!known(name)) {
        result.rest.push_back(arg);
        continue;
      }
      if (eq != std::string::npos) {
        result.flags[name] = arg.substr(eq + 1);
      } else if (i + 1 < argc) {
        result.flags[name] = argv[++i];
      } else {
        result.error = "missing value for --" + name;
        return result;
      }
    } else {
      result.positional.push_back(arg);
    }
  }
  return result;
}

node_config::node_config() {
  caf_cluster::enable_socket_transport(*this);
  add_entity(counter_entity);
}

caf::error parse_rest(caf::actor_system_config& cfg, node_args& args) {
  std::vector<char*> argv;
  for (auto& x : args.rest)
    argv.push_back(x.data());
  return cfg.parse(static_cast<int>(argv.size()), argv.data());
}

} // namespace counter
