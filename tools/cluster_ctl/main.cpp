// cluster-ctl: the admin tool of a caf-cluster. Its exit codes and output
// lines are a contract for scripts: usage errors exit 2 with exactly one
// `cluster-ctl: ` line on stderr, runtime errors exit 1 likewise.
#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace cluster_ctl;
  CLI::App root;
  bool version = false;
  setup_root(root, version);
  std::vector<command> commands{
    make_shard_id_command(root),  make_runners_command(root),
    make_shards_command(root),    make_pending_command(root),
    make_tables_command(root),    make_drain_command(root),
    make_forget_command(root),
    make_workflows_command(root), make_workflow_command(root),
  };
  return run(root, version, commands, argc, argv);
}
