// Compile-time walk over the types an entity puts on the wire: every element
// of its interface's requests and replies plus its durable state, minus CAF's
// builtin types (which need no registration). `add_entity_types` registers
// them; `register_entity` checks that they are registered.
#pragma once

#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/detail/implicit_conversions.hpp"
#include "caf/detail/type_list.hpp"
#include "caf/detail/type_traits.hpp"
#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/type_nr.hpp"

namespace caf_cluster::detail {

/// Carries a type through a generic lambda.
template <class T>
struct type_tag {
  using type = T;
};

/// Whether `T`, as CAF stores it in a message, needs `add_message_type`:
/// not `void`, not builtin (atoms included), not a local-only unsafe type.
template <class T>
constexpr bool needs_registration = caf::type_nr<T>::value == 0
  && !caf::is_allowed_unsafe_message_type<T>::value;

template <class T, class F>
void visit_entity_type(F& f) {
  if constexpr (!std::is_void<T>::value) {
    using stored = typename caf::detail::strip_and_convert<T>::type;
    if constexpr (needs_registration<stored>)
      f(type_tag<stored>{});
  }
}

template <class F, class... Is, class... Os>
void visit_signature(
  F& f,
  caf::typed_mpi<caf::detail::type_list<Is...>, caf::output_tuple<Os...>>*) {
  (visit_entity_type<Is>(f), ...);
  (visit_entity_type<Os>(f), ...);
}

template <class F, class... Sigs>
void visit_signatures(F& f, caf::detail::type_list<Sigs...>) {
  (visit_signature(f, static_cast<Sigs*>(nullptr)), ...);
}

/// Calls `f(type_tag<T>{})` for each type of an entity with interface
/// `Interface` and durable state `State` (`void`: none) that needs
/// `add_message_type`; a type used twice is visited twice.
template <class Interface, class State, class F>
void for_each_entity_type(F f) {
  visit_signatures(f, typename Interface::signatures{});
  visit_entity_type<State>(f);
}

/// Returns whether `T` is inspectable; fails to compile, naming `T` in the
/// line that introduces the error, when it is not.
template <class T>
constexpr bool require_inspect() {
  constexpr bool result = caf::detail::is_serializable<T>::value;
  static_assert(result,
                "add_entity_types: this message, reply or state type "
                "of the entity (T) has no inspect() overload");
  return result;
}

/// Returns the run-time type information of every type `for_each_entity_type`
/// visits.
template <class Interface, class State>
std::vector<const std::type_info*> entity_type_infos() {
  std::vector<const std::type_info*> result;
  for_each_entity_type<Interface, State>([&result](auto tag) {
    result.push_back(&typeid(typename decltype(tag)::type));
  });
  return result;
}

/// An inspector that only records the `caf::meta::type_name` annotation an
/// `inspect` overload passes, so that a type keeps the name its author gave it.
struct type_name_probe {
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  const char* name = nullptr;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (capture(xs), ...);
  }

  void capture(const caf::meta::type_name_t& x) {
    name = x.value;
  }

  template <class T>
  void capture(const T&) {
    // Members and other annotations carry no name.
  }
};

template <class T, class = void>
struct has_probe_inspect : std::false_type {};

template <class T>
struct has_probe_inspect<
  T,
  std::void_t<decltype(inspect(std::declval<type_name_probe&>(),
                               std::declval<T&>()))>> : std::true_type {};

/// Returns `x`'s C++ name, demangled (e.g. `bank::deposit`).
std::string demangled_name(const std::type_info& x);

/// Returns `preferred` unless `cfg` has that name for another type already,
/// then the demangled C++ name of `x` (unique per type).
std::string unique_type_name(const caf::actor_system_config& cfg,
                             const char* preferred, const std::type_info& x);

/// Returns the name `add_entity_types` registers `T` under: the
/// `caf::meta::type_name` its `inspect` overload gives, else its demangled
/// C++ name.
template <class T>
std::string default_type_name(const caf::actor_system_config& cfg) {
  const char* preferred = nullptr;
  if constexpr (has_probe_inspect<T>::value
                && std::is_default_constructible<T>::value) {
    T x{};
    type_name_probe f;
    inspect(f, x);
    preferred = f.name;
  }
  return unique_type_name(cfg, preferred, typeid(T));
}

/// Fails with `errc::invalid_config` naming each of `types` that `sys` has
/// no name for (not added with `add_message_type` or `add_entity_types`).
caf::error check_entity_types(caf::actor_system& sys,
                              const std::string& entity_type,
                              const std::vector<const std::type_info*>& types);

} // namespace caf_cluster::detail
