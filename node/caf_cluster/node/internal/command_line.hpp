// The command line of `run_node`: splitting argv into the program's flags,
// positional arguments and CAF's options, and the help text.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "caf/fwd.hpp"

#include "caf_cluster/node/node_program.hpp"

namespace caf_cluster::internal {

/// `argv` split for `run_node`.
struct command_line {
  /// Whether `-h` or `--help` appeared (everything else is then ignored).
  bool help = false;

  /// The program's flags (with the built-in ones) and positional arguments.
  node_args args;

  /// Arguments for CAF's parser (`--cluster.<key>=...` and CAF's own),
  /// `argv[0]` first.
  std::vector<std::string> caf_args;

  /// Set on a usage error: the line to print after `<name>: `.
  std::optional<std::string> error;
};

/// Returns whether `program` is a runner (it waits for a signal) rather than
/// a client or one-shot program.
inline bool is_runner(const node_program& program) {
  return !program.run;
}

/// The flags every program of this kind takes besides its own.
std::vector<node_flag> builtin_flags(const node_program& program);

/// Splits `argv`; `options` (CAF's declared options) tells which `--x`
/// flags CAF takes, everything else unknown is a usage error.
command_line split_command_line(int argc, char** argv,
                                const node_program& program,
                                const caf::config_option_set& options);

/// Writes the help of `program`: usage, summary, its flags, the cluster
/// options with their defaults and the exit codes.
void print_help(std::ostream& out, const node_program& program,
                const caf::config_option_set& options);

} // namespace caf_cluster::internal
