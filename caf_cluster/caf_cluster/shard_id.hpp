// Identifies one shard: a shard group plus a 1-based index within it. Its
// text form `group:index` is Effect's, and it is what storage rows and the
// admin tool show, so parsing it is strict and its errors name the bad part.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "caf/expected.hpp"
#include "caf/meta/type_name.hpp"

namespace caf_cluster {

/// A shard: `index` (1-based) within the shard group `group`.
struct shard_id {
  /// The shard group, e.g. `"default"`.
  std::string group;
  /// The index within the group, from 1 to the group's shard count.
  int32_t index = 0;
};

/// Compares group and index.
inline bool operator==(const shard_id& x, const shard_id& y) noexcept {
  return x.index == y.index && x.group == y.group;
}

/// Compares group and index.
inline bool operator!=(const shard_id& x, const shard_id& y) noexcept {
  return !(x == y);
}

/// Orders by group first, then by index (so `default:2 < default:10`).
inline bool operator<(const shard_id& x, const shard_id& y) noexcept {
  if (int cmp = x.group.compare(y.group); cmp != 0)
    return cmp < 0;
  return x.index < y.index;
}

/// Makes `shard_id` serializable for CAF 0.17 messages.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_id& x) {
  return f(caf::meta::type_name("shard_id"), x.group, x.index);
}

/// Returns Effect's text form `group:index`, e.g. `default:186`.
std::string to_string(const shard_id& x);

/// Parses `group:index`, splitting at the last ':' as Effect does, so a group
/// may itself contain ':'. The index must be decimal digits only (no sign, no
/// spaces; leading zeros are accepted) with a value in [1, INT32_MAX].
/// @returns the shard id, or `errc::invalid_argument` with a message naming
///          the problem: no ':', empty group, empty index, a non-digit, a zero
///          index or an index above INT32_MAX.
caf::expected<shard_id> parse_shard_id(std::string_view text);

/// Returns the shard of `entity_id` in `group` (see `shard_index`).
/// @returns the shard id, or `errc::invalid_argument` for an empty or
///          non-UTF-8 entity id, `shards_per_group < 1`, or a group that is
///          empty or contains ':' (our shard ids stay unambiguous even for
///          readers that split `group:index` at the first ':').
caf::expected<shard_id> make_shard_id(std::string_view entity_id,
                                      std::string group,
                                      int32_t shards_per_group);

} // namespace caf_cluster

namespace std {

/// Hashes a `shard_id` for unordered containers (not the persisted hash).
template <>
struct hash<caf_cluster::shard_id> {
  /// Combines the hashes of group and index.
  size_t operator()(const caf_cluster::shard_id& x) const noexcept {
    const size_t h = std::hash<std::string>{}(x.group);
    return h
      ^ (std::hash<int32_t>{}(x.index)
         + static_cast<size_t>(0x9e3779b97f4a7c15ull) + (h << 6) + (h >> 2));
  }
};

} // namespace std
