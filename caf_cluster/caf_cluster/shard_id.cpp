#include "caf_cluster/shard_id.hpp"

#include <limits>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/shard_hash.hpp"
#include "caf_cluster/storage/error_text.hpp"

namespace caf_cluster {

namespace {

using storage::quoted;

caf::error bad_shard_id(std::string_view text, const std::string& what) {
  return caf::make_error(errc::invalid_argument,
                         "shard id " + quoted(text) + " " + what);
}

} // namespace

std::string to_string(const shard_id& x) {
  return x.group + ':' + std::to_string(x.index);
}

caf::expected<shard_id> parse_shard_id(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return bad_shard_id(text, "has no ':' separating group and index");
  const auto group = text.substr(0, colon);
  const auto digits = text.substr(colon + 1);
  if (group.empty())
    return bad_shard_id(text, "has an empty group before ':'");
  if (digits.empty())
    return bad_shard_id(text, "has an empty index after ':'");
  int64_t index = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9')
      return bad_shard_id(text, "has an index that is not a decimal number");
    // Stops growing once too large, so a long digit string cannot overflow.
    if (index <= std::numeric_limits<int32_t>::max())
      index = index * 10 + (ch - '0');
  }
  if (index == 0)
    return bad_shard_id(text, "has index 0, but indexes start at 1");
  if (index > std::numeric_limits<int32_t>::max())
    return bad_shard_id(text, "has an index above 2147483647");
  return shard_id{std::string{group}, static_cast<int32_t>(index)};
}

caf::expected<shard_id> make_shard_id(std::string_view entity_id,
                                      std::string group,
                                      int32_t shards_per_group) {
  if (group.empty())
    return caf::make_error(errc::invalid_argument,
                           std::string{"shard group must not be empty"});
  if (group.find(':') != std::string::npos)
    return caf::make_error(errc::invalid_argument,
                           "shard group " + quoted(group)
                             + " must not contain ':'");
  auto index = shard_index(entity_id, shards_per_group);
  if (!index)
    return std::move(index.error());
  return shard_id{std::move(group), *index};
}

} // namespace caf_cluster
