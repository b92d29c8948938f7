#include <memory>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "output.hpp"
#include "storage_session.hpp"

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
    storage_session session;
    if (auto code = open_storage("tables", *opts, storage_access::read_only,
                                 session))
      return *code;
    auto messages = open_message_storage(session);
    if (!messages)
      return runtime_error("cannot open '" + session.path
                           + "': " + error_text(messages.error()));
    auto sizes = (*messages)->table_sizes();
    if (!sizes)
      return runtime_error("cannot read table sizes: "
                           + error_text(sizes.error()));
    print_tables(*sizes, opts->json);
    return exit_ok;
  };
  return command{app, true, std::move(run)};
}

} // namespace cluster_ctl
