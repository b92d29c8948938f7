#include "caf_cluster/node/internal/command_line.hpp"

#include <algorithm>

#include "caf/config_option_set.hpp"

namespace caf_cluster::internal {

std::vector<node_flag> builtin_flags(const node_program& program) {
  std::vector<node_flag> result;
  if (is_runner(program)) {
    result.push_back({"host", "HOST",
                      "host to listen on and advertise (default: 127.0.0.1)"});
    result.push_back({"port", "PORT",
                      "port to listen on: cluster.runner-address=HOST:PORT "
                      "(required unless cluster.client-only)"});
  }
  result.push_back({"storage", "URI",
                    "the cluster's storage, sqlite:<path> or memory (same as "
                    "--cluster.storage)"});
  return result;
}

command_line split_command_line(int argc, char** argv,
                                const node_program& program,
                                const caf::config_option_set& options) {
  command_line result;
  result.caf_args.emplace_back(argc > 0 ? argv[0] : program.name);
  auto flags = builtin_flags(program);
  flags.insert(flags.end(), program.flags.begin(), program.flags.end());
  auto find_flag = [&](const std::string& name) -> const node_flag* {
    auto i = std::find_if(flags.begin(), flags.end(),
                          [&](const node_flag& x) { return x.name == name; });
    return i == flags.end() ? nullptr : &*i;
  };
  // Help first: `--help` must work without the flags a run needs.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      result.help = true;
      return result;
    }
  }
  auto see_help = std::string{"; see "} + program.name + " --help";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      if (arg.size() > 1 && arg[0] == '-') {
        result.error = "unknown flag " + arg + see_help;
        return result;
      }
      if (program.positional_usage.empty()) {
        result.error = "unexpected argument '" + arg + "'" + see_help;
        return result;
      }
      result.args.positional.push_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    auto name = arg.substr(2, eq == std::string::npos ? std::string::npos
                                                      : eq - 2);
    if (auto flag = find_flag(name)) {
      if (flag->value_name.empty()) {
        if (eq != std::string::npos) {
          result.error = "--" + name + " takes no value" + see_help;
          return result;
        }
        result.args.flags[name] = "";
      } else if (eq != std::string::npos) {
        result.args.flags[name] = arg.substr(eq + 1);
      } else if (i + 1 < argc) {
        result.args.flags[name] = argv[++i];
      } else {
        result.error = "missing value for --" + name + see_help;
        return result;
      }
      continue;
    }
    if (options.cli_long_name_lookup(name) == nullptr) {
      result.error = "unknown flag --" + name + see_help;
      return result;
    }
    result.caf_args.push_back(arg);
  }
  return result;
}

} // namespace caf_cluster::internal
