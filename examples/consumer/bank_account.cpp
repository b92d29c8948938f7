#include "bank_account.hpp"

#include "caf/actor_system_config.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/entity_types.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace bank {

void add_account_types(caf::actor_system_config& cfg) {
  caf_cluster::add_entity_types(cfg, account_entity);
}

account_actor::behavior_type
account_impl(account_actor::stateful_pointer<account_state> self,
             caf_cluster::entity_context) {
  return {
    [=](const deposit& x) { return self->state.balance += x.amount; },
    [=](get_balance) { return self->state.balance; },
  };
}

} // namespace bank
