// Must not compile: an entity whose message type has no inspect() overload
// passed to add_entity_types.
#include <cstdint>

#include "caf/actor_system_config.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity_types.hpp"

namespace bank {

struct audit {
  int64_t amount = 0;
  int64_t other = 0;
};

using account_actor = caf::typed_actor<caf::replies_to<audit>::with<int64_t>>;

} // namespace bank

void add_types(caf::actor_system_config& cfg) {
  caf_cluster::add_entity_types(
    cfg, caf_cluster::entity<bank::account_actor>("Account"));
}
