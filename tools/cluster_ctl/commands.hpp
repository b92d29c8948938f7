// The subcommands of cluster-ctl, one file each: each adds its parser to the
// root and returns how to run it.
#pragma once

#include "cli.hpp"

namespace cluster_ctl {

/// `shard-id <entity-id>`: the shard that owns an entity.
command make_shard_id_command(CLI::App& root);

/// `runners`: the registered runners and their liveness.
command make_runners_command(CLI::App& root);

/// `shards`: the shard leases and how many each runner holds.
command make_shards_command(CLI::App& root);

/// `pending`: unprocessed persisted messages per shard and entity type.
command make_pending_command(CLI::App& root);

/// `tables`: the rows (and bytes) of each table of message storage.
command make_tables_command(CLI::App& root);

/// `drain <runner>`: asks a runner to leave the cluster gracefully.
command make_drain_command(CLI::App& root);

/// `forget <runner>`: removes a dead runner and its leases from storage.
command make_forget_command(CLI::App& root);

/// `workflows`: the durable workflow executions and their states.
command make_workflows_command(CLI::App& root);

/// `workflow <id>`: the journal of one workflow execution.
command make_workflow_command(CLI::App& root);

} // namespace cluster_ctl
