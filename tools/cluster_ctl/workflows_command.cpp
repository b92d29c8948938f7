// workflows, workflow ID: the durable workflow executions in message storage
// and the journal of one of them. Read-only, like the other listings.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "caf_cluster/storage/error_text.hpp"
#include "caf_cluster/workflow/status.hpp"

#include "commands.hpp"
#include "storage_session.hpp"
#include "workflow_journals.hpp"
#include "workflow_output.hpp"

namespace cluster_ctl {

namespace {

using caf_cluster::storage::printable;

struct workflows_options : storage_options {
  std::optional<std::string> status;
  std::string workflow;
  std::vector<std::string> ids;
};

void add_workflow_option(CLI::App& app, workflows_options& opts) {
  app
    .add_option("--workflow", opts.workflow,
                "only executions of this workflow (its name)")
    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// Opens the message storage of `session` read-only, or prints why not.
std::optional<int>
open_messages(const storage_session& session,
              std::unique_ptr<caf_cluster::storage::message_driver>& out) {
  auto messages = open_message_storage(session);
  if (!messages)
    return runtime_error("cannot open '" + session.path
                         + "': " + error_text(messages.error()));
  out = std::move(*messages);
  return std::nullopt;
}

} // namespace

command make_workflows_command(CLI::App& root) {
  auto opts = std::make_shared<workflows_options>();
  auto* app = root.add_subcommand(
    "workflows",
    "list the durable workflow executions, sorted by workflow and id, one "
    "per\nline: workflow id status steps started updated (UTC)");
  app->allow_extras();
  add_storage_option(*app, *opts);
  add_json_option(*app, *opts);
  add_workflow_option(*app, *opts);
  app
    ->add_option("--status", opts->status,
                 "only executions in this state: running, suspended, "
                 "complete, failed,\ninterrupted")
    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  auto run = [opts]() -> int {
    std::optional<caf_cluster::workflow::execution_status> wanted;
    if (opts->status) {
      wanted = caf_cluster::workflow::parse_execution_status(*opts->status);
      if (!wanted
          || *wanted == caf_cluster::workflow::execution_status::unknown)
        return usage_error("--status must be one of running, suspended, "
                           "complete, failed, interrupted, got '"
                           + *opts->status + "'");
    }
    storage_session session;
    if (auto code = open_storage("workflows", *opts, storage_access::read_only,
                                 session))
      return *code;
    std::unique_ptr<caf_cluster::storage::message_driver> messages;
    if (auto code = open_messages(session, messages))
      return *code;
    journal_reader reader;
    auto xs = reader.list(*messages, opts->workflow);
    if (!xs)
      return runtime_error("cannot read workflow executions: "
                           + error_text(xs.error()));
    if (wanted) {
      std::vector<stored_execution> kept;
      for (auto& x : *xs)
        if (x.journal && x.journal->status == *wanted)
          kept.push_back(std::move(x));
      *xs = std::move(kept);
    }
    print_workflows(*xs, opts->json);
    return exit_ok;
  };
  return command{app, true, std::move(run)};
}

command make_workflow_command(CLI::App& root) {
  auto opts = std::make_shared<workflows_options>();
  auto* app = root.add_subcommand(
    "workflow",
    "print the journal of the workflow execution <id>: status, "
    "steps, pending\nsleeps and deferreds, early completions, "
    "result");
  app->allow_extras();
  app->add_option("id", opts->ids, "the execution id, as `workflows` lists it");
  add_storage_option(*app, *opts);
  add_json_option(*app, *opts);
  add_workflow_option(*app, *opts);
  auto run = [opts]() -> int {
    if (opts->ids.empty())
      return usage_error("workflow needs an execution id");
    if (opts->ids.size() > 1)
      return usage_error("workflow takes one execution id, got an extra "
                         "argument '"
                         + opts->ids[1] + "'");
    const auto& id = opts->ids[0];
    storage_session session;
    if (auto code = open_storage("workflow", *opts, storage_access::read_only,
                                 session))
      return *code;
    std::unique_ptr<caf_cluster::storage::message_driver> messages;
    if (auto code = open_messages(session, messages))
      return *code;
    journal_reader reader;
    auto xs = reader.find(*messages, opts->workflow, id);
    if (!xs)
      return runtime_error("cannot read workflow executions: "
                           + error_text(xs.error()));
    if (xs->empty())
      return runtime_error("no workflow execution '" + id + "'"
                           + (opts->workflow.empty()
                                ? std::string{}
                                : " of workflow '" + opts->workflow + "'"));
    if (xs->size() > 1) {
      std::string names;
      for (const auto& x : *xs)
        names += (names.empty() ? "" : ", ") + x.workflow;
      return usage_error("execution id '" + id
                         + "' exists in several "
                           "workflows ("
                         + names + "): give --workflow");
    }
    const auto& x = xs->front();
    if (!x.journal)
      return runtime_error("the journal of " + x.workflow + "/" + id
                           + " does not decode: "
                           + error_text(x.journal.error()));
    print_workflow(x, reader, opts->json);
    return exit_ok;
  };
  return command{app, false, std::move(run)};
}

} // namespace cluster_ctl
