// What drain and forget share: the subcommand taking one runner address
// and the check that exactly one was given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage_session.hpp"

namespace CLI {
class App;
} // namespace CLI

namespace cluster_ctl {

/// The options of a command on one runner.
struct runner_command_options : storage_options {
  /// The runner addresses given (exactly one is valid).
  std::vector<std::string> runners;
};

/// Adds the subcommand `name` taking one runner address and `--storage`.
CLI::App* add_runner_command(CLI::App& root, const std::string& name,
                             const std::string& description,
                             runner_command_options& opts);

/// Checks that exactly one runner was named; the exit code if not.
std::optional<int> check_runner(const std::string& name,
                                const runner_command_options& opts);

} // namespace cluster_ctl
