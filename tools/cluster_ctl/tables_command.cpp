#include <memory>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "message_listing.hpp"
#include "output.hpp"

namespace cluster_ctl {

command make_tables_command(CLI::App& root) {
  auto opts = std::make_shared<storage_options>();
  auto* app = root.add_subcommand(
    "tables",
    "list the tables of message storage with their rows and bytes\n(table "
    "rows bytes; bytes '-' where the database cannot tell): what\n"
    "cluster.message-retention keeps bounded");
  app->allow_extras();
  add_storage_option(*app, *opts);
  add_json_option(*app, *opts);
  auto run = [opts]() -> int {
    return run_message_listing(
      "tables", *opts, "table sizes",
      [](auto& storage) { return storage.table_sizes(); },
      [&](auto value) { print_tables(value, opts->json); });
  };
  return command{app, true, std::move(run)};
}

} // namespace cluster_ctl
