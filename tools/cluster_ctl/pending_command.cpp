#include <memory>

#include <CLI/CLI.hpp>


#include "commands.hpp"
#include "output.hpp"
#include "storage_session.hpp"

namespace cluster_ctl {

command make_pending_command(CLI::App& root) {
  auto opts = std::make_shared<storage_options>();
  auto* app = root.add_subcommand(
    "pending",
    "list unprocessed persisted messages per shard and entity "
    "type\n(shard entity-type pending), then per entity type "
    "(entity-type pending)");
  app->allow_extras();
  add_storage_option(*app, *opts);
  add_json_option(*app, *opts);
  auto run = [opts]() -> int {
    storage_session session;
    if (auto code = open_storage("pending", *opts, storage_access::read_only,
                                  session))
      return *code;
    auto messages = open_message_storage(session);
    if (!messages)
      return runtime_error("cannot open '" + session.path
                           + "': " + error_text(messages.error()));
    auto counts = (*messages)->pending_counts();
    if (!counts)
      return runtime_error("cannot read pending messages: "
                           + error_text(counts.error()));
    print_pending(std::move(*counts), opts->json);
    return exit_ok;
  };
  return command{app, true, std::move(run)};
}

} // namespace cluster_ctl
