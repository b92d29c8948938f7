#include "caf_cluster/message_storage.hpp"

#include <utility>

#include "caf/actor_system.hpp"

#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster {

message_storage::message_storage(caf::actor_system& sys,
                                 detail::storage_writer_actor writer,
                                 std::shared_ptr<snowflake_generator> ids,
                                 std::string entity_group,
                                 int32_t shards_per_group,
                                 fence_handler on_fenced,
                                 group_resolver group_of)
  : sys_(&sys), writer_(std::move(writer)), ids_(std::move(ids)),
    entity_group_(std::move(entity_group)), shards_per_group_(shards_per_group),
    on_fenced_(std::move(on_fenced)), group_of_(std::move(group_of)) {
  // nop
}

caf::expected<storage::request_row>
message_storage::make_row(const stored_send& x) const {
  auto group = x.shard_group;
  if (group.empty())
    group = group_of_ ? group_of_(x.entity_type) : entity_group_;
  auto shard = x.shard_index > 0
    ? caf::expected<shard_id>{shard_id{group, x.shard_index}}
    : make_shard_id(x.entity_id, group, shards_per_group_);
  if (!shard)
    return std::move(shard.error());
  auto key = x.primary_key;
  if (key.empty()) {
    if (x.identity.request_id == 0)
      return caf::make_error(errc::invalid_argument,
                             x.entity_type + "/" + x.entity_id,
                             std::string{"a stored send needs a primary key "
                                         "or an identity"});
    key = x.identity.default_key();
  }
  auto bytes = encode_message(*sys_, x.payload);
  if (!bytes)
    return std::move(bytes.error());
  storage::request_row row;
  row.request_id = ids_->next().value();
  row.entity_type = x.entity_type;
  row.entity_id = x.entity_id;
  row.shard = to_string(*shard);
  row.tag = message_tag(*sys_, x.payload);
  row.payload = std::move(*bytes);
  row.primary_key = std::move(key);
  row.deliver_at_ms = x.deliver_at_ms;
  return row;
}

caf::expected<caf::message>
message_storage::decode(const storage::request_row& row) const {
  return decode_message(*sys_, row.payload);
}

caf::message
message_storage::decode_reply(const storage::reply_row& row) const {
  return decode_reply(*sys_, row);
}

store_outcome message_storage::to_outcome(caf::actor_system& sys,
                                          storage::save_outcome& x) {
  store_outcome result;
  result.request_id = x.request_id;
  result.duplicate = x.duplicate;
  if (x.reply)
    result.reply = decode_reply(sys, *x.reply);
  return result;
}

caf::message message_storage::decode_reply(caf::actor_system& sys,
                                           const storage::reply_row& row) {
  auto msg = decode_message(sys, row.payload);
  if (!msg)
    return caf::make_message(std::move(msg.error()));
  return std::move(*msg);
}

caf::expected<storage::reply_write>
message_storage::make_reply_write(reply_to_store& x) const {
  storage::reply_write w;
  w.reply.request_id = x.request_id;
  w.reply.ok = !x.reply.match_elements<caf::error>();
  auto bytes = encode_message(*sys_, x.reply);
  if (!bytes) {
    // A reply type that cannot be stored: store why instead.
    w.reply.ok = false;
    x.reply = caf::make_message(std::move(bytes.error()));
    bytes = encode_message(*sys_, x.reply);
    if (!bytes)
      return std::move(bytes.error());
  }
  w.reply.payload = std::move(*bytes);
  w.by = std::move(x.by);
  w.state = std::move(x.state);
  return w;
}

caf::error message_storage::from_storage(caf::actor_system& sys,
                                         caf::error err) {
  if (!err || err == storage::errc::fenced)
    return err;
  if (err == storage::errc::unsupported) {
    auto text = err.context().match_elements<std::string>()
      ? err.context().get_as<std::string>(0)
      : sys.render(err);
    return caf::make_error(errc::unsupported, std::move(text));
  }
  return caf::make_error(errc::persistence_error, sys.render(err));
}

} // namespace caf_cluster
