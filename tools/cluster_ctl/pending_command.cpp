#include <memory>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "message_listing.hpp"
#include "output.hpp"

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
    return run_message_listing(
      "pending", *opts, "pending messages",
      [](auto& storage) { return storage.pending_counts(); },
      [&](auto value) { print_pending(std::move(value), opts->json); });
  };
  return command{app, true, std::move(run)};
}

} // namespace cluster_ctl
