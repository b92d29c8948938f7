// The main function of the samples' runner processes (counter-node,
// services-node): flags, signals, joining the cluster, the ready line and the
// graceful leave are the same for every runner; only what it registers
// differs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/sharding.hpp"

#include "node_args.hpp"

namespace counter {

/// Registers a runner's entity types, singletons and crons.
using runner_setup = std::function<caf::error(caf_cluster::sharding&)>;

/// Reads a runner's own flags (`extra_flags` of `run_runner`, in
/// `args.flags`) before the actor system starts; an error is a usage error.
using runner_prepare = std::function<caf::expected<runner_setup>(node_args&)>;

/// Runs a runner process: takes `--host` (default 127.0.0.1), `--port`,
/// `--storage` and `--cluster.<key>=<value>` options plus `extra_flags`,
/// joins the cluster of `--storage` (runner and message storage on one
/// database) over the socket transport, calls the setup `prepare` returned,
/// prints `ready <host>:<port>`, and on SIGTERM or SIGINT leaves gracefully.
/// @returns the process's exit code: 0 after a clean leave, 1 when joining
///          or the setup failed, 2 for bad usage (one line on stderr each).
int run_runner(const std::string& program, int argc, char** argv,
               const std::vector<std::string>& extra_flags,
               const runner_prepare& prepare);

} // namespace counter
