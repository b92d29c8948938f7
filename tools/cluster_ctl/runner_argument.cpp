#include "runner_argument.hpp"

#include <CLI/CLI.hpp>

#include "cli.hpp"

namespace cluster_ctl {

CLI::App* add_runner_command(CLI::App& root, const std::string& name,
                             const std::string& description,
                             runner_command_options& opts) {
  auto* app = root.add_subcommand(name, description);
  app->allow_extras();
  app->add_option("runner", opts.runners,
                  "the runner's address, host:port, as `runners` lists it");
  add_storage_option(*app, opts);
  return app;
}

std::optional<int> check_runner(const std::string& name,
                                const runner_command_options& opts) {
  if (opts.runners.empty())
    return usage_error(name + " needs a runner address (host:port)");
  if (opts.runners.size() > 1)
    return usage_error(name
                       + " takes one runner address, got an extra "
                         "argument '"
                       + opts.runners[1] + "'");
  return std::nullopt;
}

} // namespace cluster_ctl
