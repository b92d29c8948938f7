// The hash that maps an entity id to its shard. It must stay bit-compatible
// with Effect's cluster (`Hash.string` plus `getShardIdForEntity`) because it
// decides where persisted messages live: changing it orphans stored rows.
#pragma once

#include <cstdint>
#include <string_view>

#include "caf/expected.hpp"

namespace caf_cluster {

/// Computes Effect's string hash over UTF-16 code units: djb2-xor (seed 5381,
/// factor 33, 32-bit wrap-around) from the last unit to the first, then
/// Effect's `optimize` step, which copies bit 31 into bit 30.
/// @returns a value in [-2^30, 2^30 - 1]; the copied bit rules out INT32_MIN.
int32_t stable_hash(std::u16string_view units) noexcept;

/// Computes `stable_hash` of the UTF-16 form of `utf8`.
/// @returns the hash, or `errc::invalid_argument` if `utf8` is not strictly
///          well-formed UTF-8 (see `internal::utf8_to_utf16`).
caf::expected<int32_t> stable_hash(std::string_view utf8);

/// Returns the 1-based shard index of `entity_id` within a group of
/// `shards_per_group` shards: `abs(stable_hash(entity_id) % n) + 1` with a
/// truncating `%`, exactly as Effect computes it.
/// @returns an index in [1, shards_per_group], or `errc::invalid_argument` for
///          an empty or non-UTF-8 entity id or `shards_per_group < 1`.
caf::expected<int32_t> shard_index(std::string_view entity_id,
                                   int32_t shards_per_group);

} // namespace caf_cluster
