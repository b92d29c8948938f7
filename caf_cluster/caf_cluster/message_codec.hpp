// Messages as bytes: what persisted messages, durable state and (later) the
// HTTP gateway store or send. CAF's binary serialization, wrapped so that
// every failure is a value (`errc::malformed_message`), never a crash: stored
// rows outlive the code that wrote them.
#pragma once

#include <string>
#include <string_view>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/make_message.hpp"
#include "caf/message.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster {

/// Encodes `msg` with CAF's binary serialization, framed by a header and a
/// checksum (so damage is detected, not decoded as another message).
/// @returns the bytes, or `errc::malformed_message` naming the element whose
///          type cannot be serialized (not registered with
///          `add_message_type` in `sys`'s configuration).
caf::expected<std::string> encode_message(caf::actor_system& sys,
                                          const caf::message& msg);

/// Decodes bytes written by `encode_message`.
/// @returns the message, or `errc::malformed_message` when `bytes` do not
///          decode completely (bad header or checksum, unknown type name,
///          trailing bytes, more than 64 MiB).
caf::expected<caf::message> decode_message(caf::actor_system& sys,
                                           std::string_view bytes);

/// Returns the tag of `msg`: the registered names of its element types,
/// joined by `,` (e.g. `counter.increment`); unregistered types appear under
/// their C++ type name.
std::string message_tag(caf::actor_system& sys, const caf::message& msg);

/// Encodes one value (a durable entity state, a reply) like a message of
/// one element; `T` must be added with `add_message_type`.
template <class T>
caf::expected<std::string> encode_value(caf::actor_system& sys, const T& x) {
  return encode_message(sys, caf::make_message(x));
}

/// Decodes a value written by `encode_value<T>`.
/// @returns the value, or `errc::malformed_message` when `bytes` do not
///          decode or hold something other than one `T`.
template <class T>
caf::expected<T> decode_value(caf::actor_system& sys, std::string_view bytes) {
  auto msg = decode_message(sys, bytes);
  if (!msg)
    return std::move(msg.error());
  if (!msg->match_elements<T>())
    return caf::make_error(errc::malformed_message,
                           "stored value has type " + message_tag(sys, *msg)
                             + ", not the expected one");
  return msg->get_as<T>(0);
}

} // namespace caf_cluster
