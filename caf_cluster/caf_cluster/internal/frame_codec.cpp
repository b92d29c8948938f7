#include "caf_cluster/internal/frame_codec.hpp"

#include <cstdint>
#include <exception>
#include <string>

#include "caf/actor_system.hpp"
#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/router_actor.hpp"

namespace caf_cluster::internal {

caf::expected<std::vector<char>> encode_frame(caf::actor_system& sys,
                                              const caf::message& msg) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto copy = msg; // inspect takes a mutable reference; this shares the data
  if (auto err = sink(copy))
    return err;
  return buf;
}

void append_frame(std::string& body, const std::vector<char>& frame) {
  auto n = static_cast<uint32_t>(frame.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    body.push_back(static_cast<char>((n >> shift) & 0xFF));
  body.append(frame.data(), frame.size());
}

bool split_frames(const std::string& body,
                  std::vector<std::vector<char>>& out) {
  size_t pos = 0;
  while (pos < body.size()) {
    if (body.size() - pos < 4)
      return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n = (n << 8) | static_cast<uint8_t>(body[pos + i]);
    pos += 4;
    if (body.size() - pos < n)
      return false;
    out.emplace_back(body.data() + pos, body.data() + pos + n);
    pos += n;
  }
  return true;
}

caf::expected<caf::message> decode_frame(caf::actor_system& sys,
                                         const std::vector<char>& frame,
                                         caf::execution_unit* ctx) {
  caf::message result;
  // CAF's deserializers report most malformed input as errors, but an
  // absurd length may still end in std::bad_alloc or std::length_error.
  try {
    caf::binary_deserializer source{ctx != nullptr ? ctx
                                                   : sys.dummy_execution_unit(),
                                    frame};
    if (auto err = source(result))
      return caf::make_error(errc::malformed_message,
                             "malformed frame: " + sys.render(err));
    if (source.remaining() != 0)
      return caf::make_error(errc::malformed_message,
                             "malformed frame: "
                               + std::to_string(source.remaining())
                               + " bytes after the message");
  } catch (const std::exception& ex) {
    return caf::make_error(errc::malformed_message,
                           std::string{"malformed frame: "} + ex.what());
  }
  return result;
}

bool is_deliver_batch(const caf::message& msg) {
  return msg.match_elements<caf::atom_value, std::vector<envelope>>()
    && msg.get_as<caf::atom_value>(0) == deliver_batch_atom::value;
}

bool is_reply_batch(const caf::message& msg) {
  return msg.match_elements<caf::atom_value, std::vector<reply_envelope>>()
    && msg.get_as<caf::atom_value>(0) == reply_batch_atom::value;
}

} // namespace caf_cluster::internal
