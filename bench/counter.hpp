// The entity every workload drives: an int64 counter behind one CAF typed
// interface. The same behaviour function runs as a caf-cluster entity and as a
// bare stateful typed actor, so the two sides differ only in the runtime.
#pragma once

#include <chrono>
#include <cstdint>

#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity.hpp"

namespace bench {

/// Adds `amount` to the counter; the reply is the new value.
struct add {
  /// Value to add.
  int64_t amount = 0;
};

/// Makes `add` a CAF message type.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add& x) {
  return f(caf::meta::type_name("bench.add"), x.amount);
}

/// Protocol of the counter:
/// - `add` -> `int64_t`: adds and returns the new value.
using counter_actor = caf::typed_actor<caf::replies_to<add>::with<int64_t>>;

/// State of one counter.
struct counter_state {
  /// The current value.
  int64_t value = 0;
  /// Actor name shown by CAF.
  static inline const char* name = "bench.counter";
};

/// Makes `counter_state` CAF-inspectable: the durable state of the persisted
/// counter.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, counter_state& x) {
  return f(caf::meta::type_name("bench.counter_state"), x.value);
}

/// Behaviour of a counter, for `sharding::register_entity` and `spawn` alike.
counter_actor::behavior_type
counter_impl(counter_actor::stateful_pointer<counter_state> self);

/// The entity type of the benchmark. A max_idle far beyond any run keeps the
/// entities resident (the memory workload needs that) while every reply still
/// goes through the manager's idle bookkeeping, as it does in production.
inline const auto counter_entity
  = caf_cluster::entity<counter_actor>("BenchCounter")
      .max_idle(std::chrono::hours{1});

/// The entity type of the persisted workloads: the same counter, but every
/// `add` is stored in message storage before it runs, and its reply with the
/// counter's state (durable, one int64) after. Only runners with message
/// storage host it; a client needs nothing but this definition's name.
inline const auto persisted_counter_entity
  = caf_cluster::entity<counter_actor>("BenchPersistedCounter")
      .persisted<add>()
      .durable_state<counter_state>()
      .max_idle(std::chrono::hours{1});

} // namespace bench
