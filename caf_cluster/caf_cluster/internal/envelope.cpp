#include "caf_cluster/internal/envelope.hpp"

#include "caf/actor_system_config.hpp"

namespace caf_cluster::internal {

void add_envelope_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<detail::delivery>("caf_cluster.delivery");
  cfg.add_message_type<detail::entity_send>("caf_cluster.entity_send");
  cfg.add_message_type<envelope>("caf_cluster.envelope");
  cfg.add_message_type<std::vector<envelope>>("caf_cluster.envelopes");
  cfg.add_message_type<reply_envelope>("caf_cluster.reply_envelope");
  cfg.add_message_type<std::vector<reply_envelope>>(
    "caf_cluster.reply_envelopes");
}

} // namespace caf_cluster::internal
