#include "caf_cluster/message_codec.hpp"

#include <cstdint>
#include <exception>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"
#include "caf/message.hpp"
#include "caf/uniform_type_info_map.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster {

namespace {

// Bound on a decoded message's size: larger rows are refused before CAF
// allocates for sizes read from untrusted bytes.
constexpr size_t max_message_bytes = 64 * 1024 * 1024;

// Framing: magic and version, CAF's bytes, then a checksum of them. CAF's own
// format has no length or checksum, so a truncated row can decode as some
// other, shorter message; the frame turns every damaged row into an error.
constexpr std::string_view magic = "ccm1";
constexpr size_t checksum_size = 8;

uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (auto c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

void append_u64(std::string& out, uint64_t x) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
}

uint64_t read_u64(std::string_view in) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x |= static_cast<uint64_t>(static_cast<uint8_t>(in[static_cast<size_t>(i)]))
         << (8 * i);
  return x;
}

caf::error malformed(const std::string& what) {
  return caf::make_error(errc::malformed_message,
                         "cannot decode stored message: " + what);
}

bool registered(caf::actor_system& sys, const caf::message& msg,
                size_t& bad) {
  for (size_t i = 0; i < msg.size(); ++i) {
    auto& name = sys.types().portable_name(msg.type(i));
    if (name.empty() || name == "???") {
      bad = i;
      return false;
    }
  }
  return true;
}

} // namespace

caf::expected<std::string> encode_message(caf::actor_system& sys,
                                          const caf::message& msg) {
  size_t bad = 0;
  if (!registered(sys, msg, bad))
    return caf::make_error(errc::malformed_message,
                           "cannot encode " + message_tag(sys, msg)
                             + ": element " + std::to_string(bad)
                             + " has a type not added with add_message_type");
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  try {
    if (auto err = sink(const_cast<caf::message&>(msg)))
      return caf::make_error(errc::malformed_message,
                             "cannot encode " + message_tag(sys, msg) + ": "
                               + sys.render(err));
  } catch (const std::exception& e) {
    return caf::make_error(errc::malformed_message,
                           "cannot encode " + message_tag(sys, msg) + ": "
                             + e.what());
  }
  std::string result{magic};
  result.append(buf.begin(), buf.end());
  append_u64(result, fnv1a(std::string_view{buf.data(), buf.size()}));
  return result;
}

caf::expected<caf::message> decode_message(caf::actor_system& sys,
                                           std::string_view bytes) {
  if (bytes.size() > max_message_bytes)
    return malformed(std::to_string(bytes.size()) + " bytes exceed the limit");
  if (bytes.size() < magic.size() + checksum_size
      || bytes.substr(0, magic.size()) != magic)
    return malformed("not written by encode_message (bad header)");
  auto body = bytes.substr(magic.size(),
                           bytes.size() - magic.size() - checksum_size);
  if (fnv1a(body) != read_u64(bytes.substr(bytes.size() - checksum_size)))
    return malformed("checksum mismatch (truncated or damaged)");
  std::vector<char> buf{body.begin(), body.end()};
  caf::binary_deserializer source{sys, buf};
  caf::message result;
  try {
    if (auto err = source(result))
      return malformed(sys.render(err));
  } catch (const std::exception& e) {
    return malformed(e.what());
  }
  if (source.remaining() != 0)
    return malformed(std::to_string(source.remaining()) + " trailing bytes");
  return result;
}

std::string message_tag(caf::actor_system& sys, const caf::message& msg) {
  std::string result;
  for (size_t i = 0; i < msg.size(); ++i) {
    if (i > 0)
      result += ',';
    auto rtti = msg.type(i);
    auto& name = sys.types().portable_name(rtti);
    if (!name.empty() && name != "???")
      result += name;
    else if (rtti.second != nullptr)
      result += rtti.second->name();
    else
      result += "?";
  }
  return result;
}

} // namespace caf_cluster
