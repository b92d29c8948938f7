#include "workflow_journals.hpp"

#include <limits>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/storage/errc.hpp"

namespace cluster_ctl {

namespace {

using caf_cluster::workflow::execution_journal;

// The name the engine registers the journal under (`add_workflow_types`
// takes it from the journal's `inspect`).
constexpr const char* journal_type_name
  = "caf_cluster.workflow.execution_journal";

struct reader_config : caf::actor_system_config {
  reader_config() {
    add_message_type<execution_journal>(journal_type_name);
    caf_cluster::add_error_category(*this);
    caf_cluster::storage::add_error_category(*this);
    // A tool that only decodes needs no worker pool.
    set("scheduler.max-threads", size_t{1});
  }
};

} // namespace

struct journal_reader::impl {
  reader_config cfg;
  caf::actor_system sys{cfg};
};

journal_reader::journal_reader() : impl_(std::make_unique<impl>()) {
  // nop
}

journal_reader::~journal_reader() = default;

stored_execution
journal_reader::decode(const caf_cluster::storage::state_row& row) {
  stored_execution x;
  x.workflow = row.entity_type.substr(std::string{workflow_type_prefix}.size());
  x.execution_id = row.entity_id;
  x.journal = caf_cluster::decode_value<execution_journal>(impl_->sys,
                                                           row.payload);
  return x;
}

caf::expected<std::vector<stored_execution>>
journal_reader::list(caf_cluster::storage::message_driver& messages,
                     const std::string& workflow) {
  // A name is a prefix of longer names too: keep only its own type.
  auto prefix = std::string{workflow_type_prefix} + workflow;
  auto rows = messages.list_states(prefix, std::numeric_limits<size_t>::max());
  if (!rows)
    return std::move(rows.error());
  std::vector<stored_execution> result;
  for (const auto& row : *rows)
    if (workflow.empty() || row.entity_type == prefix)
      result.push_back(decode(row));
  return result;
}

caf::expected<std::vector<stored_execution>>
journal_reader::find(caf_cluster::storage::message_driver& messages,
                     const std::string& workflow,
                     const std::string& execution_id) {
  std::vector<stored_execution> result;
  if (!workflow.empty()) {
    auto type = std::string{workflow_type_prefix} + workflow;
    auto bytes = messages.load_state(type, execution_id);
    if (!bytes)
      return std::move(bytes.error());
    if (*bytes)
      result.push_back(decode({type, execution_id, std::move(**bytes)}));
    return result;
  }
  auto all = list(messages, "");
  if (!all)
    return all;
  for (auto& x : *all)
    if (x.execution_id == execution_id)
      result.push_back(std::move(x));
  return result;
}

std::string journal_reader::render(const caf::error& err) {
  return impl_->sys.render(err);
}

} // namespace cluster_ctl
