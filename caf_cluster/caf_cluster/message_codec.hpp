// Messages as bytes: what persisted messages, durable state and (later) the
// HTTP gateway store or send. CAF's binary serialization, wrapped so that
// every failure is a value (`errc::malformed_message`), never a crash: stored
// rows outlive the code that wrote them.
#pragma once

#include <string>
#include <string_view>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

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

} // namespace caf_cluster
