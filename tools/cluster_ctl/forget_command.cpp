// forget: removes a dead runner (row and leases) that would otherwise stay
// listed as stale for ever; storage refuses it while the runner is live.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "caf_cluster/storage/error_text.hpp"

#include "commands.hpp"
#include "runner_argument.hpp"

namespace cluster_ctl {

using caf_cluster::storage::printable;

command make_forget_command(CLI::App& root) {
  auto opts = std::make_shared<runner_command_options>();
  auto* app = add_runner_command(
    root, "forget",
    "remove the dead <runner> and its leases from storage; refused while "
    "its\nheartbeat is younger than the lease duration",
    *opts);
  add_lease_option(*app, *opts);
  auto run = [opts]() -> int {
    if (auto code = check_runner("forget", *opts))
      return *code;
    storage_session session;
    if (auto code = open_storage("forget", *opts, storage_access::read_write,
                                  session))
      return *code;
    const auto& runner = opts->runners[0];
    if (auto err = session.driver->forget_runner(runner, session.now_ms,
                                                 session.lease_ms))
      return runtime_error("cannot forget: " + error_text(err));
    std::cout << "forgot " << printable(runner) << '\n';
    return exit_ok;
  };
  return command{app, false, std::move(run)};
}

} // namespace cluster_ctl
