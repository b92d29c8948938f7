// Where a message goes: the entity type, the entity's id and the shard that
// owns that id. Carrying the shard avoids rehashing on every hop and lets a
// runner refuse a message for a shard it does not hold.
#pragma once

#include <string>

#include "caf/meta/type_name.hpp"

#include "caf_cluster/shard_id.hpp"

namespace caf_cluster {

/// The address of one entity instance.
struct entity_address {
  /// The registered entity type, e.g. `"Counter"`.
  std::string entity_type;
  /// The id of the instance within its type, e.g. `"counter-1"`.
  std::string entity_id;
  /// The shard that owns `entity_id` (see `make_shard_id`).
  shard_id shard;
};

/// Compares all three fields.
inline bool operator==(const entity_address& x,
                       const entity_address& y) noexcept {
  return x.entity_id == y.entity_id && x.entity_type == y.entity_type
    && x.shard == y.shard;
}

/// Compares all three fields.
inline bool operator!=(const entity_address& x,
                       const entity_address& y) noexcept {
  return !(x == y);
}

/// Makes `entity_address` serializable for CAF 0.17 messages.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entity_address& x) {
  return f(caf::meta::type_name("entity_address"), x.entity_type, x.entity_id,
           x.shard);
}

/// Returns `type/id@group:index`, e.g. `Counter/counter-1@default:186`, for
/// logs and error messages.
std::string to_string(const entity_address& x);

} // namespace caf_cluster
