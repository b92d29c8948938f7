// Registering an entity's message types with CAF in one call. CAF 0.17 must
// know every type that crosses a process boundary or goes to storage before
// the actor system starts; the entity's interface already lists them all, so
// users need not repeat each type in `add_message_type`.
#pragma once

#include <type_traits>
#include <typeindex>

#include "caf/actor_system_config.hpp"

#include "caf_cluster/detail/entity_types.hpp"
#include "caf_cluster/entity.hpp"

namespace caf_cluster {

/// Adds every message, reply and durable-state type of entity `def` to `cfg`
/// (CAF's builtin types need nothing). Call it in every process that hosts
/// or talks to the entity, before the actor system starts. A type keeps the
/// name its `inspect` gives with `caf::meta::type_name`, else its C++ name
/// (e.g. `bank::deposit`); to choose another, call
/// `cfg.add_message_type<T>("name")` first: a type added already is left as
/// it is, so calling this twice, or for two entities sharing a type, is fine.
template <class Interface, class State>
caf::actor_system_config&
add_entity_types(caf::actor_system_config& cfg,
                 const entity<Interface, State>& def) {
  static_cast<void>(def);
  detail::for_each_entity_type<Interface, State>([&cfg](auto tag) {
    using type = typename decltype(tag)::type;
    if constexpr (detail::require_inspect<type>())
      if (cfg.type_names_by_rtti.count(std::type_index{typeid(type)}) == 0)
        cfg.add_message_type<type>(detail::default_type_name<type>(cfg));
  });
  return cfg;
}

} // namespace caf_cluster
