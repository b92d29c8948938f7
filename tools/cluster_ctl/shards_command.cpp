#include <memory>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "output.hpp"
#include "storage_session.hpp"

namespace cluster_ctl {

command make_shards_command(CLI::App& root) {
  auto opts = std::make_shared<storage_options>();
  auto* app = root.add_subcommand(
    "shards",
    "list every shard lease (shard holder epoch expires-in-ms "
    "held|expired),\nthen the number of shards each runner holds "
    "now (runner held-shards)");
  app->allow_extras();
  add_storage_option(*app, *opts);
  add_json_option(*app, *opts);
  auto run = [opts]() -> int {
    storage_session session;
    if (auto code = open_storage("shards", *opts, storage_access::read_only,
                                  session))
      return *code;
    auto leases = session.driver->leases();
    if (!leases)
      return runtime_error("cannot read leases: " + error_text(leases.error()));
    auto runners = session.driver->all_runners();
    if (!runners)
      return runtime_error("cannot read runners: "
                           + error_text(runners.error()));
    print_shards(std::move(*leases), *runners, session.now_ms, opts->json);
    return exit_ok;
  };
  return command{app, true, std::move(run)};
}

} // namespace cluster_ctl
