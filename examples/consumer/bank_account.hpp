// A bank account entity: deposits are persisted (stored before they run, once
// per key) and the balance is durable state, so it survives restarts when the
// cluster keeps its storage in SQLite.
#pragma once

#include <cstdint>
#include <string>

#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_context.hpp"

namespace bank {

/// Adds `amount` cents; replies with the new balance. A retry with the same
/// `key` counts once.
struct deposit {
  int64_t amount = 0;
  std::string key;

  /// The deduplication key (empty: one deposit per send).
  std::string primary_key() const {
    return key;
  }
};

/// Replies with the balance in cents.
struct get_balance {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deposit& x) {
  return f(caf::meta::type_name("bank.deposit"), x.amount, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_balance&) {
  return f(caf::meta::type_name("bank.get_balance"));
}

/// The account protocol.
using account_actor
  = caf::typed_actor<caf::replies_to<deposit>::with<int64_t>,
                     caf::replies_to<get_balance>::with<int64_t>>;

/// The durable state of one account.
struct account_state {
  int64_t balance = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_state& x) {
  return f(caf::meta::type_name("bank.account_state"), x.balance);
}

/// The Account entity type.
inline const auto account_entity = caf_cluster::entity<account_actor>("Account")
                                     .persisted<deposit>()
                                     .durable_state<account_state>();

/// Registers the account's messages and state with CAF (every process).
void add_account_types(caf::actor_system_config& cfg);

/// The account behaviour.
account_actor::behavior_type
account_impl(account_actor::stateful_pointer<account_state> self,
             caf_cluster::entity_context ctx);

} // namespace bank
