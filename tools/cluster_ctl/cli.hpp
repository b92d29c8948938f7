// The command line of cluster-ctl on CLI11: exit codes, the one-line error
// reports, the help layout, and the loop that parses, checks what CLI11
// leaves over and runs the chosen command. Exit codes and messages are a
// contract for scripts (tests/cli.cmake), so CLI11's own texts never reach
// the user unchanged where the tool had its own before.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caf/error.hpp"

namespace CLI {
class App;
} // namespace CLI

namespace cluster_ctl {

/// The command succeeded (also for `--help` and `--version`).
constexpr int exit_ok = 0;

/// The command failed at run time, e.g. the database cannot be read.
constexpr int exit_runtime = 1;

/// The command line is wrong.
constexpr int exit_usage = 2;

/// Prints `cluster-ctl: <message>` to stderr and returns `exit_usage`.
int usage_error(std::string_view message);

/// Prints `cluster-ctl: <message>` to stderr and returns `exit_runtime`.
int runtime_error(std::string_view message);

/// Returns the text of errors made by `caf::make_error(code, "text")`.
std::string error_text(const caf::error& err);

/// Parses a whole number from 1 to the maximum of `int32_t`.
std::optional<int32_t> parse_positive_int32(std::string_view text);

/// Parses a whole number from 1 to the maximum of `int64_t`.
std::optional<int64_t> parse_positive_int64(std::string_view text);

/// A subcommand of the tool.
struct command {
  /// The subcommand's parser, owned by the root parser.
  CLI::App* app = nullptr;

  /// Whether arguments CLI11 did not take are an error of their own
  /// ("takes no arguments"); commands with positionals bind them instead.
  bool takes_no_arguments = false;

  /// Runs the command after a successful parse; returns the exit code.
  std::function<int()> run;
};

/// Creates the root parser: name, help layout, `--help` and `--version`.
/// @param version set when `--version` was given.
void setup_root(CLI::App& root, bool& version);

/// Parses `argc`/`argv` with `root`, runs the chosen command of `commands`
/// and returns the exit code.
int run(CLI::App& root, const bool& version,
        const std::vector<command>& commands, int argc, char** argv);

} // namespace cluster_ctl
