#include "caf_cluster/internal/send_limits.hpp"

#include <string>

#include "caf/detail/serialized_size.hpp"
#include "caf/message.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::internal {

size_t payload_size(const caf::message& x) {
  // Element by element, without an execution unit: the whole-message path
  // needs every type registered (and prints to stderr when one is not), and
  // with a unit, counting would put the payload's actors into the registry,
  // which makes them reachable from the network.
  caf::detail::serialized_size_inspector f{
    static_cast<caf::execution_unit*>(nullptr)};
  for (size_t i = 0; i < x.size(); ++i)
    static_cast<void>(x.save(i, f));
  return f.result();
}

caf::error check_send_limits(const detail::entity_send& x,
                             const sharding_config& cfg) {
  // The id is not repeated in the error: it is the thing that is too long.
  auto id_length = static_cast<int64_t>(x.entity_id.size());
  if (id_length > cfg.max_entity_id_length)
    return caf::make_error(errc::invalid_argument, x.entity_type,
                           "entity id of " + std::to_string(id_length)
                             + " bytes exceeds cluster.max-entity-id-length ("
                             + std::to_string(cfg.max_entity_id_length) + ")");
  auto size = static_cast<int64_t>(payload_size(x.payload));
  if (size > cfg.max_message_size)
    return caf::make_error(errc::message_too_large,
                           x.entity_type + "/" + x.entity_id,
                           "payload of " + std::to_string(size)
                             + " bytes exceeds cluster.max-message-size ("
                             + std::to_string(cfg.max_message_size) + ")");
  return caf::none;
}

} // namespace caf_cluster::internal
