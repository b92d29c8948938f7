// The Counter entity of the distributed counter sample: the seed overview's
// complete example, written as a CAF typed actor.
#pragma once

#include <cstdint>
#include <string>

#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/entity_types.hpp"

namespace counter {

/// Adds `amount` to the counter; replies with the new value. A non-empty
/// `key` makes the increment count once however often it is sent (a client
/// retrying after an error sends the same key).
struct increment {
  int64_t amount = 0;
  std::string key;

  /// The deduplication key (empty: one increment per send).
  std::string primary_key() const {
    return key;
  }
};

/// Subtracts `amount` from the counter; replies with the new value; `key` as
/// for `increment`.
struct decrement {
  int64_t amount = 0;
  std::string key;

  /// The deduplication key (empty: one decrement per send).
  std::string primary_key() const {
    return key;
  }
};

/// Replies with the current value.
struct get_value {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, increment& x) {
  return f(caf::meta::type_name("counter.increment"), x.amount, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, decrement& x) {
  return f(caf::meta::type_name("counter.decrement"), x.amount, x.key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_value&) {
  return f(caf::meta::type_name("counter.get_value"));
}

/// The Counter protocol.
using counter_actor
  = caf::typed_actor<caf::replies_to<increment>::with<int64_t>,
                     caf::replies_to<decrement>::with<int64_t>,
                     caf::replies_to<get_value>::with<int64_t>>;

/// State of one counter, kept in message storage between activations.
struct counter_state {
  int64_t value = 0;
  static inline const char* name = "counter";
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, counter_state& x) {
  return f(caf::meta::type_name("counter.state"), x.value);
}

/// The Counter entity type of a cluster: increments and decrements are
/// persisted (stored before they run, once per key), the value is durable.
inline const auto counter_entity
  = caf_cluster::entity<counter_actor>("Counter")
      .persisted<increment, decrement>()
      .durable_state<counter_state>()
      .max_idle(std::chrono::minutes{2});

/// The same Counter without persistence, for the single-process demo that
/// has no message storage.
inline const auto volatile_counter_entity
  = caf_cluster::entity<counter_actor>("Counter").max_idle(std::chrono::minutes{2});

/// The Counter behaviour.
counter_actor::behavior_type
counter_impl(counter_actor::stateful_pointer<counter_state> self,
             caf_cluster::entity_context ctx);

/// Registers the counter's message and state types (every process, before
/// the actor system starts).
inline void add_counter_types(caf::actor_system_config& cfg) {
  caf_cluster::add_entity_types(cfg, counter_entity);
}

} // namespace counter
