// What a program tells `run_node` about itself: its name and summary for the
// help, its own flags, and the hooks that add its message types, register its
// entities or do a client's work.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/fwd.hpp"

namespace caf_cluster::gateway {

class http_api;

} // namespace caf_cluster::gateway

namespace caf_cluster {

/// One flag of a program, given as `--name VALUE` or `--name=VALUE` (or as
/// `--name` alone when `value_name` is empty).
struct node_flag {
  /// The flag without dashes, e.g. `cron`.
  std::string name;

  /// The placeholder of its value in the help, e.g. `EXPR`; empty for a
  /// switch that takes no value.
  std::string value_name;

  /// One line of help; state the default here if it has one.
  std::string help;
};

/// A program's own flags and positional arguments after parsing.
struct node_args {
  /// The values of the flags given, by name without dashes (`""` for a
  /// switch).
  std::map<std::string, std::string> flags;

  /// Positional arguments, in order.
  std::vector<std::string> positional;

  /// Returns whether flag `name` was given.
  bool has(const std::string& name) const {
    return flags.count(name) > 0;
  }

  /// Returns the value of flag `name`, or `fallback` when it was not given.
  std::string get(const std::string& name, std::string fallback = {}) const {
    auto i = flags.find(name);
    return i == flags.end() ? fallback : i->second;
  }
};

/// A runner or client program for `run_node`.
///
/// Without `run` the program is a runner: it needs `--port` (or
/// `cluster.runner-address`) unless `cluster.client-only` is set, calls
/// `start`, prints the ready line and stays until SIGTERM or SIGINT. With
/// `run` it is a client or a one-shot program: `run` does the work and its
/// result is the exit code.
struct node_program {
  /// The program's name, the prefix of its error lines.
  std::string name;

  /// One line saying what it does, printed by `--help`.
  std::string summary;

  /// The positional arguments in the usage line, e.g. `get ID`; empty when
  /// it takes none (a positional argument is then a usage error).
  std::string positional_usage;

  /// The program's own flags (besides the built-in `--storage`, and `--host`
  /// and `--port` of runners).
  std::vector<node_flag> flags;

  /// Whether the node routes to the cluster without hosting shards:
  /// `cluster.client-only` defaults to true for this program.
  bool client_only = false;

  /// Adds the program's message types; called before parsing.
  std::function<void(caf::actor_system_config&)> configure;

  /// Checks the program's own flags and positional arguments before the
  /// actor system starts; an error is a usage error (exit 2).
  std::function<caf::error(const node_args&)> check;

  /// Registers entities, singletons and crons once the node started; an
  /// error ends the program with exit code 1.
  std::function<caf::error(sharding&, const node_args&)> start;

  /// Declares what the node's gateway offers over HTTP (entity messages,
  /// workflows; see `gateway::http_api`); called after `start` when
  /// `cluster.http-listen` is set.
  std::function<void(gateway::http_api&, const node_args&)> http;

  /// The work of a client or one-shot program; returns the exit code. The
  /// node leaves gracefully after it returns.
  std::function<int(sharding&, const node_args&)> run;
};

/// Exit codes of `run_node`.
enum node_exit : int {
  /// Ran and left cleanly (or printed the help).
  node_exit_ok = 0,
  /// Failed at run time: storage, network, a hook, or an unclean leave.
  node_exit_failure = 1,
  /// Bad command line or configuration.
  node_exit_usage = 2,
};

} // namespace caf_cluster
