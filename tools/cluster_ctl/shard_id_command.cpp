#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "caf_cluster/sharding_config.hpp"

#include "commands.hpp"
#include "output.hpp"

namespace cluster_ctl {

command make_shard_id_command(CLI::App& root) {
  // Effect's default entity group; not a runner setting, so no option entry.
  static constexpr const char* default_group = "default";
  struct options {
    std::vector<std::string> ids;
    std::optional<std::string> shards_per_group;
    std::string group = default_group;
    bool json = false;
  };
  auto opts = std::make_shared<options>();
  const auto default_shards = caf_cluster::sharding_config{}.shards_per_group;
  auto* app = root.add_subcommand("shard-id",
                                  "print the shard that owns <entity-id>, "
                                  "e.g. default:186");
  app->allow_extras();
  app->add_option("entity-id", opts->ids, "the entity id");
  app
    ->add_option("--shards-per-group", opts->shards_per_group,
                 "shards in the group, N >= 1 (default "
                   + std::to_string(default_shards) + ")")
    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app
    ->add_option("--group", opts->group,
                 "shard group, non-empty, no ':' (default \"default\")")
    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app->add_flag("--json", opts->json,
                "print {entity_id, shard, group, index} as JSON");
  auto run = [opts, default_shards]() -> int {
    if (opts->ids.empty())
      return usage_error("shard-id needs an entity id");
    if (opts->ids.size() > 1)
      return usage_error("shard-id takes one entity id, got an extra "
                         "argument '"
                         + opts->ids[1] + "'");
    auto shards = default_shards;
    if (opts->shards_per_group) {
      auto value = parse_positive_int32(*opts->shards_per_group);
      if (!value)
        return usage_error("--shards-per-group must be a whole number from 1 "
                           "to 2147483647, got '"
                           + *opts->shards_per_group + "'");
      shards = *value;
    }
    auto shard = caf_cluster::make_shard_id(opts->ids[0], opts->group, shards);
    if (!shard)
      return usage_error(error_text(shard.error()));
    print_shard_id(opts->ids[0], *shard, opts->json);
    return exit_ok;
  };
  return command{app, false, std::move(run)};
}

} // namespace cluster_ctl
