// Command-line handling shared by counter-node and counter-cli: the sample's
// own flags (`--host H`, `--port P`, `--storage URI`, also as `--flag=value`)
// are taken out, and everything else (`--cluster.<key>=...`) is left for
// CAF's option parser.
#pragma once

#include "caf/error.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/cluster_config.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace counter {

/// Arguments split into the sample's flags and the rest.
struct node_args {
  /// Values of the recognized flags, by name without dashes.
  std::map<std::string, std::string> flags;
  /// Positional arguments, in order.
  std::vector<std::string> positional;
  /// Arguments for CAF (`--cluster.*=` and the like), argv[0] first.
  std::vector<std::string> rest;
  /// Set when a flag lacks its value; the message to print.
  std::optional<std::string> error;
};

/// Splits `argv`; `names` are the flags that take a value.
node_args split_args(int argc, char** argv,
                     const std::vector<std::string>& names);

/// The configuration of a counter process: the `cluster.*` options, the
/// socket transport and the Counter messages.
struct node_config : caf_cluster::cluster_config {
  node_config();
};

/// Parses the arguments left for CAF (`args.rest`) into `cfg`.
caf::error parse_rest(caf::actor_system_config& cfg, node_args& args);

} // namespace counter
