#include <memory>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "output.hpp"
#include "storage_session.hpp"

namespace cluster_ctl {

command make_runners_command(CLI::App& root) {
  auto opts = std::make_shared<storage_options>();
  auto* app = root.add_subcommand(
    "runners",
    "list the registered runners, sorted by address, one per "
    "line:\naddress machine-id healthy weight heartbeat-age-ms "
    "live|stale");
  app->allow_extras();
  add_storage_option(*app, *opts);
  add_lease_option(*app, *opts);
  add_json_option(*app, *opts);
  auto run = [opts]() -> int {
    storage_session session;
    if (auto code = open_storage("runners", *opts, storage_access::read_only,
                                  session))
      return *code;
    auto rows = session.driver->all_runners();
    if (!rows)
      return runtime_error("cannot read runners: " + error_text(rows.error()));
    print_runners(std::move(*rows), session.now_ms, session.lease_ms,
                  opts->json);
    return exit_ok;
  };
  return command{app, true, std::move(run)};
}

} // namespace cluster_ctl
