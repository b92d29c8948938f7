#include "caf_cluster/errc.hpp"

#include "caf/actor_system_config.hpp"

#include "caf_cluster/storage/error_text.hpp"

namespace caf_cluster {

std::string to_string(errc x) {
  switch (x) {
    case errc::entity_not_assigned_to_runner:
      return "entity_not_assigned_to_runner";
    case errc::malformed_message:
      return "malformed_message";
    case errc::persistence_error:
      return "persistence_error";
    case errc::runner_not_registered:
      return "runner_not_registered";
    case errc::runner_unavailable:
      return "runner_unavailable";
    case errc::mailbox_full:
      return "mailbox_full";
    case errc::already_processing_message:
      return "already_processing_message";
    case errc::shutting_down:
      return "shutting_down";
    case errc::timeout:
      return "timeout";
    case errc::invalid_config:
      return "invalid_config";
    case errc::unknown_entity_type:
      return "unknown_entity_type";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::entity_failed:
      return "entity_failed";
    case errc::message_too_large:
      return "message_too_large";
    case errc::forbidden:
      return "forbidden";
    case errc::nondeterministic_workflow:
      return "nondeterministic_workflow";
    case errc::workflow_interrupted:
      return "workflow_interrupted";
    case errc::unsupported:
      return "unsupported";
  }
  return "errc(" + std::to_string(static_cast<int>(x)) + ")";
}

void add_error_category(caf::actor_system_config& cfg) {
  // CAF 0.17.6's templated add_error_category<T> does not compile (its lambda
  // has the wrong signature), so we pass the renderer ourselves.
  cfg.add_error_category(errc_category, [](uint8_t code, caf::atom_value,
                                           const caf::message& context) {
    return storage::render_error("cluster", to_string(static_cast<errc>(code)),
                                 context);
  });
}

} // namespace caf_cluster
