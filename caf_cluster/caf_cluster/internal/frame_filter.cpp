#include "caf_cluster/internal/frame_filter.hpp"

#include <algorithm>

namespace caf_cluster::internal {

namespace {

// BASP operations of CAF 0.17 (caf/io/basp/message_type.hpp): server
// handshake 0 up to heartbeat 6.
constexpr uint8_t last_operation = 0x06;

// Offset of the payload length: operation, two padding bytes, flags.
constexpr size_t payload_len_offset = 4;

} // namespace

frame_filter::verdict frame_filter::feed(const void* data, size_t n) noexcept {
  auto pos = static_cast<const uint8_t*>(data);
  auto end = pos + n;
  while (state_ == verdict::ok && pos != end) {
    if (in_payload_) {
      auto step = static_cast<uint32_t>(
        std::min<size_t>(payload_left_, static_cast<size_t>(end - pos)));
      payload_left_ -= step;
      pos += step;
      if (payload_left_ == 0) {
        in_payload_ = false;
        ++frames_;
      }
      continue;
    }
    auto step = std::min(header_size - header_fill_,
                         static_cast<size_t>(end - pos));
    std::copy(pos, pos + step, header_.begin() + header_fill_);
    header_fill_ += step;
    pos += step;
    if (header_fill_ == header_size) {
      header_fill_ = 0;
      state_ = check_header();
    }
  }
  return state_;
}

frame_filter::verdict frame_filter::check_header() noexcept {
  auto op = header_[0];
  if (op > last_operation)
    return verdict::bad_operation;
  if (frames_ == 0 && op != first_operation_)
    return verdict::bad_handshake;
  // CAF's binary serializer writes integers in network byte order.
  uint32_t len = 0;
  for (size_t i = 0; i < 4; ++i)
    len = (len << 8) | header_[payload_len_offset + i];
  if (len > max_payload_) {
    refused_length_ = len;
    return verdict::too_large;
  }
  if (len == 0)
    ++frames_;
  else {
    payload_left_ = len;
    in_payload_ = true;
  }
  return verdict::ok;
}

} // namespace caf_cluster::internal
