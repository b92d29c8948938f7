// Values of payloads, results, errors and activities as bytes in a journal.
// Plain CAF binary serialization of the value itself (no message header), so
// a type only needs `inspect()`, not a registration.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"
#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::workflow::detail {

/// Encodes `x` with `caf::binary_serializer`.
/// @returns the bytes or `errc::malformed_message`.
template <class T>
caf::expected<std::string> encode(caf::actor_system& sys, const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(const_cast<T&>(x)))
    return caf::make_error(errc::malformed_message,
                           "cannot encode a workflow value: "
                             + sys.render(err));
  return std::string{buf.begin(), buf.end()};
}

/// Decodes bytes written by `encode<T>` into `x`.
/// @returns none or `errc::malformed_message`.
template <class T>
caf::error decode_into(caf::actor_system& sys, std::string_view bytes, T& x) {
  caf::binary_deserializer source{sys, bytes.data(), bytes.size()};
  if (auto err = source(x))
    return caf::make_error(errc::malformed_message,
                           "cannot decode a workflow value: "
                             + sys.render(err));
  return caf::none;
}

/// Decodes bytes written by `encode<T>`.
/// @returns the value or `errc::malformed_message`.
template <class T>
caf::expected<T> decode(caf::actor_system& sys, std::string_view bytes) {
  static_assert(std::is_default_constructible<T>::value,
                "workflow values must be default-constructible");
  static_assert(!std::is_same<T, caf::error>::value,
                "use decode_into for caf::error");
  T x{};
  if (auto err = decode_into(sys, bytes, x))
    return err;
  return x;
}

} // namespace caf_cluster::workflow::detail
