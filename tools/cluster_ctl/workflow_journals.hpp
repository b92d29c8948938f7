// Reading durable workflow executions for cluster-ctl: each execution is an
// entity of type `workflow/<name>` whose durable state is its journal, encoded
// as the runtime encodes entity state. Decoding needs the journal's type
// registered in an actor system, which this file keeps to itself.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/workflow/journal.hpp"

namespace cluster_ctl {

/// The entity type prefix of workflow executions.
constexpr const char* workflow_type_prefix = "workflow/";

/// One stored execution, decoded if its bytes decode.
struct stored_execution {
  /// The workflow's name (the entity type without `workflow/`).
  std::string workflow;

  /// The execution id (the entity id).
  std::string execution_id;

  /// The journal, or why it does not decode.
  caf::expected<caf_cluster::workflow::execution_journal> journal{caf::error{}};
};

/// Decodes journals and renders errors with the cluster's categories.
class journal_reader {
public:
  journal_reader();

  ~journal_reader();

  /// Reads the executions of `workflow` (all workflows if empty), sorted by
  /// workflow and id.
  caf::expected<std::vector<stored_execution>>
  list(caf_cluster::storage::message_driver& messages,
       const std::string& workflow);

  /// Reads the executions with id `execution_id` (of `workflow`, if given).
  caf::expected<std::vector<stored_execution>>
  find(caf_cluster::storage::message_driver& messages,
       const std::string& workflow, const std::string& execution_id);

  /// Returns `err` as text, e.g. `cluster: entity_failed (declined)`.
  std::string render(const caf::error& err);

private:
  stored_execution decode(const caf_cluster::storage::state_row& row);

  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace cluster_ctl
