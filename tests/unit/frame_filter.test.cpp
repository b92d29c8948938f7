// The frame filter in front of CAF's BASP broker: it must find every header
// wherever the reads split the stream, skip payloads without holding them,
// and refuse a header whose payload is above the limit or whose operation is
// unknown before a byte of that payload is buffered.
#include "caf_cluster/internal/frame_filter.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "caf/binary_serializer.hpp"
#include "caf/io/basp/header.hpp"

#include "caf_cluster/internal/exposure_warning.hpp"

using caf_cluster::internal::frame_filter;
using verdict = caf_cluster::internal::frame_filter::verdict;

namespace {

constexpr uint8_t server_handshake = 0x00;
constexpr uint8_t client_handshake = 0x01;
constexpr uint32_t limit = 1024;

// A header as CAF's BASP broker writes it, followed by `payload_len` bytes
// of `fill` (unless `with_payload` is false).
std::vector<char> frame(caf::io::basp::message_type op, uint32_t payload_len,
                        bool with_payload = true, char fill = '\xff') {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  caf::io::basp::header hdr{op, 0, payload_len, 42, 7, 9};
  REQUIRE_FALSE(sink(hdr));
  REQUIRE(buf.size() == frame_filter::header_size);
  if (with_payload)
    buf.insert(buf.end(), payload_len, fill);
  return buf;
}

std::vector<char> concat(std::vector<std::vector<char>> parts) {
  std::vector<char> result;
  for (auto& x : parts)
    result.insert(result.end(), x.begin(), x.end());
  return result;
}

using caf::io::basp::message_type;

} // namespace

TEST_SUITE("caf_cluster.frame_filter") {

  TEST_CASE("CAF writes the header in network byte order, as the filter "
            "reads it") {
    auto buf = frame(message_type::client_handshake, 0x01020304, false);
    CHECK(static_cast<uint8_t>(buf[0]) == client_handshake);
    CHECK(static_cast<uint8_t>(buf[4]) == 0x01);
    CHECK(static_cast<uint8_t>(buf[7]) == 0x04);
    frame_filter f{0x01020304, client_handshake};
    CHECK(f.feed(buf.data(), buf.size()) == verdict::ok);
    frame_filter g{0x01020303, client_handshake};
    CHECK(g.feed(buf.data(), buf.size()) == verdict::too_large);
    CHECK(g.refused_length() == 0x01020304);
  }

  TEST_CASE("frames split at every position are found") {
    auto stream = concat({frame(message_type::client_handshake, 40),
                          frame(message_type::direct_message, 0),
                          frame(message_type::heartbeat, 0),
                          frame(message_type::direct_message, limit)});
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
      frame_filter f{limit, client_handshake};
      CHECK(f.feed(stream.data(), cut) == verdict::ok);
      CHECK(f.feed(stream.data() + cut, stream.size() - cut) == verdict::ok);
      CHECK(f.frames() == 4);
    }
  }

  TEST_CASE("byte by byte, the handshake counts only once complete") {
    auto stream = frame(message_type::server_handshake, 100);
    frame_filter f{limit, server_handshake};
    for (size_t i = 0; i + 1 < stream.size(); ++i) {
      REQUIRE(f.feed(stream.data() + i, 1) == verdict::ok);
      CHECK_FALSE(f.handshake_done());
    }
    CHECK(f.feed(stream.data() + stream.size() - 1, 1) == verdict::ok);
    CHECK(f.handshake_done());
  }

  TEST_CASE("payload bytes are skipped, even when they look like a bad "
            "header") {
    // A payload of 0xff bytes would be an unknown operation and a 4 GiB
    // length if it were read as a header.
    auto stream = concat({frame(message_type::client_handshake, 64),
                          frame(message_type::direct_message, 96)});
    frame_filter f{limit, client_handshake};
    CHECK(f.feed(stream.data(), stream.size()) == verdict::ok);
    CHECK(f.frames() == 2);
  }

  TEST_CASE("a payload above the limit is refused at its header") {
    frame_filter f{limit, client_handshake};
    auto ok = frame(message_type::client_handshake, limit);
    CHECK(f.feed(ok.data(), ok.size()) == verdict::ok);
    auto big = frame(message_type::direct_message, limit + 1, false);
    CHECK(f.feed(big.data(), big.size()) == verdict::too_large);
    CHECK(f.refused_length() == limit + 1);
    // Failed for good: later bytes change nothing.
    CHECK(f.feed(ok.data(), ok.size()) == verdict::too_large);
  }

  TEST_CASE("attack 4: a handshake header announcing 0xFFFFFFFF bytes") {
    auto hdr = frame(message_type::client_handshake, 0xFFFFFFFFu, false);
    frame_filter f{4 * 1024 * 1024, client_handshake};
    // Refused with the last header byte, before any payload.
    CHECK(f.feed(hdr.data(), hdr.size() - 1) == verdict::ok);
    CHECK(f.feed(hdr.data() + hdr.size() - 1, 1) == verdict::too_large);
    CHECK(f.refused_length() == 0xFFFFFFFFu);
  }

  TEST_CASE("an unknown operation is refused") {
    auto stream = frame(message_type::client_handshake, 0);
    stream[0] = 0x07;
    frame_filter f{limit, client_handshake};
    CHECK(f.feed(stream.data(), stream.size()) == verdict::bad_operation);
  }

  TEST_CASE("the first frame must be the handshake the peer owes") {
    auto server = frame(message_type::server_handshake, 8);
    auto client = frame(message_type::client_handshake, 8);
    auto direct = frame(message_type::direct_message, 8);
    frame_filter accepted{limit, client_handshake};
    CHECK(accepted.feed(server.data(), server.size())
          == verdict::bad_handshake);
    frame_filter connected{limit, server_handshake};
    CHECK(connected.feed(direct.data(), direct.size())
          == verdict::bad_handshake);
    frame_filter good{limit, client_handshake};
    CHECK(good.feed(client.data(), client.size()) == verdict::ok);
    CHECK(good.feed(direct.data(), direct.size()) == verdict::ok);
    CHECK(good.frames() == 2);
  }

  TEST_CASE("loopback hosts are told from others") {
    using caf_cluster::internal::is_loopback_host;
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.1.2.3"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("localhost"));
    CHECK_FALSE(is_loopback_host("0.0.0.0"));
    CHECK_FALSE(is_loopback_host(""));
    CHECK_FALSE(is_loopback_host("::"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("example.org"));
  }
}
