// The main function of a caf-cluster process in one call: a runner that
// hosts entities, a client-only node, or a one-shot program, all configured
// from the command line and the `cluster.*` options.
#pragma once

#include "caf_cluster/node/node_program.hpp"

namespace caf_cluster {

/// Runs `program` as the whole process: parses `argv` (the program's flags,
/// the built-in `--storage URI`, for runners `--host HOST` and `--port PORT`,
/// and every cluster option, written `--cluster.KEY=VALUE`), prints the help for `-h` or
/// `--help`, opens the storage, joins the cluster over the socket transport,
/// then either calls `program.run` or (a runner) calls `program.start`,
/// prints `ready HOST:PORT` (`ready client-only` on a client-only node)
/// on stdout and waits for SIGTERM or SIGINT, and leaves gracefully.
/// Errors are one line on stderr starting with the program's name.
/// @returns the exit code: 0 after a clean leave or the help, 1 for a failure
///          at run time (storage, network, a hook, an unclean leave), 2 for a
///          usage error (unknown flag, missing value, bad option), or what
///          `program.run` returned.
int run_node(int argc, char** argv, const node_program& program);

} // namespace caf_cluster
