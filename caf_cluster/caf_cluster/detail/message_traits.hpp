// Compile-time plumbing of entity clients: which CAF message a user's argument
// becomes, whether an entity interface accepts it, and what a blocking ask
// returns for the interface's reply types.
#pragma once

#include <tuple>
#include <type_traits>
#include <utility>

#include "caf/detail/implicit_conversions.hpp"
#include "caf/detail/type_list.hpp"
#include "caf/expected.hpp"
#include "caf/make_message.hpp"
#include "caf/response_type.hpp"

namespace caf_cluster::detail {

/// The CAF element types that `T` becomes; a `std::tuple` stands for a
/// message of several elements (e.g. an atom and its arguments).
template <class T>
struct message_elements {
  using type = caf::detail::type_list<
    typename caf::detail::implicit_conversions<std::decay_t<T>>::type>;
};

template <class... Ts>
struct message_elements<std::tuple<Ts...>> {
  using type = caf::detail::type_list<
    typename caf::detail::implicit_conversions<std::decay_t<Ts>>::type...>;
};

/// Packs `x` into a CAF message, expanding a `std::tuple` into elements.
template <class T>
caf::message to_message(T&& x) {
  if constexpr (caf::detail::is_specialization<std::tuple,
                                               std::decay_t<T>>::value)
    return std::apply(
      [](auto&&... xs) {
        return caf::make_message(std::forward<decltype(xs)>(xs)...);
      },
      std::forward<T>(x));
  else
    return caf::make_message(std::forward<T>(x));
}

/// Reply types (a `caf::detail::type_list`) of message `Msg` under `Sigs`.
template <class Sigs, class Msg>
using reply_types = typename caf::response_type_unbox<
  Sigs, typename message_elements<std::decay_t<Msg>>::type>::type;

/// Whether `Sigs` accepts `Msg`.
template <class Sigs, class Msg>
constexpr bool accepts = caf::response_type_unbox<
  Sigs, typename message_elements<std::decay_t<Msg>>::type>::valid;

/// The value of a blocking ask: nothing, one value, or a tuple of values.
template <class List>
struct ask_value;

template <>
struct ask_value<caf::detail::type_list<>> {
  using type = void;
};

template <class T>
struct ask_value<caf::detail::type_list<T>> {
  using type = T;
};

template <class T, class U, class... Ts>
struct ask_value<caf::detail::type_list<T, U, Ts...>> {
  using type = std::tuple<T, U, Ts...>;
};

/// The result of a blocking ask of `Msg` under `Sigs`; `caf::expected<void>`
/// for a message `Sigs` does not accept, so that only the caller's
/// `static_assert` reports it (not the reply type computation).
template <class Sigs, class Msg, bool = accepts<Sigs, Msg>>
struct ask_result {
  using type = caf::expected<void>;
};

template <class Sigs, class Msg>
struct ask_result<Sigs, Msg, true> {
  using type = caf::expected<typename ask_value<reply_types<Sigs, Msg>>::type>;
};

} // namespace caf_cluster::detail
