// Snowflake ids: 64-bit, roughly time-ordered, unique per machine id without
// coordination. They key persisted messages, so the layout (Effect's: 2025
// epoch, 41/10/12 bits) is part of the storage format and must not change.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "caf/meta/type_name.hpp"

namespace caf_cluster {

/// A snowflake id: `timestamp << 22 | machine_id << 12 | sequence`, with the
/// timestamp in milliseconds since 2025-01-01T00:00:00Z. The sign bit stays 0.
class snowflake {
public:
  /// The Unix time of the snowflake epoch, 2025-01-01T00:00:00Z, in ms.
  static constexpr int64_t epoch_unix_ms = 1735689600000;
  /// Width of the timestamp field (enough for about 69 years).
  static constexpr int timestamp_bits = 41;
  /// Width of the machine id field.
  static constexpr int machine_id_bits = 10;
  /// Width of the sequence field.
  static constexpr int sequence_bits = 12;
  /// Position of the machine id field.
  static constexpr int machine_id_shift = sequence_bits;
  /// Position of the timestamp field.
  static constexpr int timestamp_shift = sequence_bits + machine_id_bits;
  /// The largest timestamp (ms since the snowflake epoch).
  static constexpr int64_t max_timestamp = (int64_t{1} << timestamp_bits) - 1;
  /// The largest machine id, 1023.
  static constexpr uint16_t max_machine_id = (1u << machine_id_bits) - 1;
  /// The largest sequence number, 4095.
  static constexpr uint16_t max_sequence = (1u << sequence_bits) - 1;

  /// Builds an id from its fields; each field keeps only its low bits
  /// (`machine_id` and `sequence` modulo 1024 and 4096, `ms_since_epoch`
  /// modulo 2^41), so out-of-range input never touches another field.
  static constexpr snowflake make(int64_t ms_since_epoch, uint16_t machine_id,
                                  uint16_t sequence) noexcept {
    return snowflake{
      ((ms_since_epoch & max_timestamp) << timestamp_shift)
      | (int64_t{machine_id & max_machine_id} << machine_id_shift)
      | int64_t{sequence & max_sequence}};
  }

  /// The id 0 (timestamp 0, machine 0, sequence 0).
  constexpr snowflake() noexcept = default;

  /// Wraps a raw value, e.g. one read from storage.
  constexpr explicit snowflake(int64_t value) noexcept : value_(value) {
    // nop
  }

  /// Returns the raw 64-bit value.
  constexpr int64_t value() const noexcept {
    return value_;
  }

  /// Returns the milliseconds since the snowflake epoch (2025-01-01).
  constexpr int64_t timestamp() const noexcept {
    return (value_ >> timestamp_shift) & max_timestamp;
  }

  /// Returns the milliseconds since the Unix epoch.
  constexpr int64_t unix_ms() const noexcept {
    return timestamp() + epoch_unix_ms;
  }

  /// Returns the machine id field.
  constexpr uint16_t machine_id() const noexcept {
    return static_cast<uint16_t>((value_ >> machine_id_shift) & max_machine_id);
  }

  /// Returns the sequence field.
  constexpr uint16_t sequence() const noexcept {
    return static_cast<uint16_t>(value_ & max_sequence);
  }

  /// Makes `snowflake` serializable for CAF 0.17 messages.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, snowflake& x) {
    return f(caf::meta::type_name("snowflake"), x.value_);
  }

private:
  int64_t value_ = 0;
};

/// Compares raw values, which orders by timestamp, then machine, then sequence.
constexpr bool operator==(snowflake x, snowflake y) noexcept {
  return x.value() == y.value();
}

/// Compares raw values.
constexpr bool operator!=(snowflake x, snowflake y) noexcept {
  return x.value() != y.value();
}

/// Compares raw values.
constexpr bool operator<(snowflake x, snowflake y) noexcept {
  return x.value() < y.value();
}

/// Compares raw values.
constexpr bool operator<=(snowflake x, snowflake y) noexcept {
  return x.value() <= y.value();
}

/// Compares raw values.
constexpr bool operator>(snowflake x, snowflake y) noexcept {
  return x.value() > y.value();
}

/// Compares raw values.
constexpr bool operator>=(snowflake x, snowflake y) noexcept {
  return x.value() >= y.value();
}

/// Returns the raw value in decimal, the form Effect prints and stores.
std::string to_string(snowflake x);

} // namespace caf_cluster

namespace std {

/// Hashes a `snowflake` by its raw value.
template <>
struct hash<caf_cluster::snowflake> {
  /// Returns the hash of the raw value.
  size_t operator()(caf_cluster::snowflake x) const noexcept {
    return std::hash<int64_t>{}(x.value());
  }
};

} // namespace std
