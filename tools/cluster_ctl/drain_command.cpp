// drain: asks a live runner to leave through storage; it sees the flag on
// its next lease refresh and leaves as on SIGTERM.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "caf_cluster/storage/error_text.hpp"

#include "commands.hpp"
#include "runner_argument.hpp"

namespace cluster_ctl {

using caf_cluster::storage::printable;

command make_drain_command(CLI::App& root) {
  auto opts = std::make_shared<runner_command_options>();
  auto* app = add_runner_command(
    root, "drain",
    "ask <runner> to leave the cluster gracefully: it sees the request on "
    "its\nnext lease refresh, hands its shards over and unregisters, as on "
    "SIGTERM",
    *opts);
  auto run = [opts]() -> int {
    if (auto code = check_runner("drain", *opts))
      return *code;
    storage_session session;
    if (auto code = open_storage("drain", *opts, storage_access::read_write,
                                  session))
      return *code;
    const auto& runner = opts->runners[0];
    if (auto err = session.driver->request_drain(runner))
      return runtime_error("cannot drain: " + error_text(err));
    std::cout << "drain requested for " << printable(runner)
              << ": it leaves on its next lease refresh\n";
    return exit_ok;
  };
  return command{app, false, std::move(run)};
}

} // namespace cluster_ctl
