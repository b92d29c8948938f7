// A bank account entity as a new user writes it: a persisted message and a
// durable state, with nothing registered by hand. The entity-type tests use it
// to show what `register_entity` says when its types are missing.
#pragma once

#include <chrono>
#include <cstdint>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity.hpp"

namespace bank {

/// Adds `amount`; replies with the new balance.
struct deposit {
  int64_t amount = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deposit& x) {
  return f(caf::meta::type_name("bank.deposit"), x.amount);
}

/// The durable state; its inspect gives no type name on purpose (it is
/// registered under its C++ name).
struct account_state {
  int64_t balance = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_state& x) {
  return f(x.balance);
}

/// The account protocol.
using account_actor = caf::typed_actor<caf::replies_to<deposit>::with<int64_t>>;

/// Deposits are persisted, the balance is durable.
inline const auto account = caf_cluster::entity<account_actor>("Account")
                              .persisted<deposit>()
                              .durable_state<account_state>();

} // namespace bank
