// Reads the BASP frames of one connection as they arrive, before CAF's BASP
// broker sees them. CAF 0.17 trusts a header's payload length and allocates
// it at once, so a length limit has to act on the raw byte stream: this
// filter keeps only the 32-byte header being assembled and counts payload
// bytes down without holding them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace caf_cluster::internal {

/// Frame-level checks on the inbound bytes of one BASP connection.
class frame_filter {
public:
  /// Size of a BASP header on the wire.
  static constexpr size_t header_size = 32;

  /// What `feed` found.
  enum class verdict {
    /// The bytes are well-formed so far.
    ok,
    /// A header names no BASP operation.
    bad_operation,
    /// A header announces a payload above the limit.
    too_large,
    /// The first frame is not the handshake the peer owes.
    bad_handshake,
  };

  /// Checks frames against `max_payload` bytes; `first_operation` is the
  /// BASP operation code the peer must open with (0 server handshake,
  /// 1 client handshake).
  frame_filter(uint32_t max_payload, uint8_t first_operation) noexcept
    : max_payload_(max_payload), first_operation_(first_operation) {
    // nop
  }

  /// Consumes `n` bytes of the stream; after a verdict other than `ok` the
  /// filter stays failed.
  verdict feed(const void* data, size_t n) noexcept;

  /// Returns whether the first frame (the peer's handshake) has arrived in
  /// full.
  bool handshake_done() const noexcept {
    return frames_ > 0;
  }

  /// Number of complete frames seen.
  uint64_t frames() const noexcept {
    return frames_;
  }

  /// The payload length of the last header refused as too large.
  uint32_t refused_length() const noexcept {
    return refused_length_;
  }

private:
  verdict check_header() noexcept;

  uint32_t max_payload_;
  uint8_t first_operation_;
  verdict state_ = verdict::ok;
  std::array<uint8_t, header_size> header_{};
  size_t header_fill_ = 0;
  uint32_t payload_left_ = 0;
  bool in_payload_ = false;
  uint64_t frames_ = 0;
  uint32_t refused_length_ = 0;
};

} // namespace caf_cluster::internal
