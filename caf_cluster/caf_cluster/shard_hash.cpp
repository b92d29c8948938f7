#include "caf_cluster/shard_hash.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/utf16.hpp"

namespace caf_cluster {

int32_t stable_hash(std::u16string_view units) noexcept {
  // Unsigned arithmetic gives JavaScript's ToInt32 wrap-around without
  // signed-overflow UB; the casts back to int32_t are modular since C++20 and
  // on every compiler we support.
  uint32_t h = 5381;
  for (auto i = units.size(); i > 0; --i)
    h = (h * 33u) ^ static_cast<uint32_t>(units[i - 1]);
  h = (h & 0xbfffffffu) | ((h >> 1) & 0x40000000u);
  return static_cast<int32_t>(h);
}

caf::expected<int32_t> stable_hash(std::string_view utf8) {
  auto units = internal::utf8_to_utf16(utf8);
  if (!units)
    return std::move(units.error());
  return stable_hash(std::u16string_view{*units});
}

caf::expected<int32_t> shard_index(std::string_view entity_id,
                                   int32_t shards_per_group) {
  if (shards_per_group < 1)
    return caf::make_error(errc::invalid_argument,
                           "shards per group must be at least 1, got "
                             + std::to_string(shards_per_group));
  if (entity_id.empty())
    return caf::make_error(errc::invalid_argument,
                           std::string{"entity id must not be empty"});
  auto units = internal::utf8_to_utf16(entity_id);
  if (!units) {
    // Prefix the decoder's "invalid UTF-8 at byte offset N: ..." so the
    // message says which input was bad.
    const auto& ctx = units.error().context();
    return caf::make_error(errc::invalid_argument,
                           "entity id has "
                             + (ctx.match_element<std::string>(0)
                                  ? ctx.get_as<std::string>(0)
                                  : std::string{"invalid UTF-8"}));
  }
  // |h % n| < n <= INT32_MAX, so neither the negation nor the +1 overflows.
  const int32_t rem = stable_hash(std::u16string_view{*units})
    % shards_per_group;
  return (rem < 0 ? -rem : rem) + 1;
}

} // namespace caf_cluster
