// What the WebSocket transport puts in a frame: one whole CAF message in
// CAF's binary format, written with the actor system so that the
// application's registered types travel as they do over BASP. Decoding also
// checks the message's shape, because a frame comes from anyone who can open
// a connection.
#pragma once

#include <string>
#include <vector>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/message.hpp"

namespace caf_cluster::internal {

/// Returns `msg` in CAF's binary format, or why it cannot be serialized (a
/// type not registered with `sys`).
caf::expected<std::vector<char>> encode_frame(caf::actor_system& sys,
                                              const caf::message& msg);

/// Returns the message in `frame`, or `errc::malformed_message` when the bytes
/// are not one complete message of registered types. Actor handles of other
/// nodes in it decode only with a `ctx` that has a proxy registry (see
/// `foreign_handles`).
caf::expected<caf::message> decode_frame(caf::actor_system& sys,
                                         const std::vector<char>& frame,
                                         caf::execution_unit* ctx = nullptr);

/// Appends `frame` to the body of an HTTP transport request or response:
/// its length as 4 bytes, big-endian, then its bytes, so that one body
/// carries every frame queued meanwhile.
void append_frame(std::string& body, const std::vector<char>& frame);

/// Splits a body `append_frame` wrote into `out`; false when a length
/// prefix is cut short or claims more bytes than follow.
bool split_frames(const std::string& body, std::vector<std::vector<char>>& out);

/// Returns whether `msg` is a batch of sends, `(deliver_batch_atom,
/// std::vector<envelope>)`: the only message a peer may send a router.
bool is_deliver_batch(const caf::message& msg);

/// Returns whether `msg` is a batch of replies, `(reply_batch_atom,
/// std::vector<reply_envelope>)`: the only message a router sends back.
bool is_reply_batch(const caf::message& msg);

} // namespace caf_cluster::internal
