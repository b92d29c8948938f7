#include "caf_cluster/internal/request_rows.hpp"

#include <utility>

#include "caf_cluster/internal/sharding_state.hpp"
#include "caf_cluster/message_codec.hpp"

namespace caf_cluster::internal {

caf::expected<storage::request_row>
make_request_row(sharding_state& st, const std::string& entity_type,
                 const std::string& entity_id, const shard_id& shard,
                 const caf::message& msg, std::string primary_key,
                 int64_t deliver_at_ms) {
  auto bytes = encode_message(st.system, msg);
  if (!bytes)
    return std::move(bytes.error());
  storage::request_row row;
  row.request_id = st.snowflakes.next().value();
  row.entity_type = entity_type;
  row.entity_id = entity_id;
  row.shard = to_string(shard);
  row.tag = message_tag(st.system, msg);
  row.payload = std::move(*bytes);
  row.primary_key = std::move(primary_key);
  row.deliver_at_ms = deliver_at_ms;
  return row;
}

caf::expected<storage::request_row>
make_stored_send(sharding_state& st, const std::string& entity_type,
                 const std::string& entity_id, const caf::message& msg,
                 std::string primary_key, int64_t deliver_at_ms) {
  auto shard = make_shard_id(entity_id, st.config.shard_groups.front(),
                             st.config.shards_per_group);
  if (!shard)
    return std::move(shard.error());
  return make_request_row(st, entity_type, entity_id, *shard, msg,
                          std::move(primary_key), deliver_at_ms);
}

} // namespace caf_cluster::internal
