// The stored row of a persisted message: built by the entity manager that
// stores a message it received, and by code that stores a message with no
// sender waiting, which the owner of its shard delivers from storage when it
// is due (cluster cron stores its ticks this way, so a tick's successor is
// durable before the tick's job runs).
#pragma once

#include <cstdint>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::internal {

struct sharding_state;

/// Builds the stored row of `msg` for entity `entity_id` of `entity_type` on
/// `shard`: a new request id from `st`'s snowflakes, the encoded message and
/// its tag, `primary_key` (non-empty) and `deliver_at_ms`. Claim fields are
/// left at 0. Save it with `save_requests_atom` through `st.writer`.
/// @returns the row, or the error of a message that does not encode.
caf::expected<storage::request_row>
make_request_row(sharding_state& st, const std::string& entity_type,
                 const std::string& entity_id, const shard_id& shard,
                 const caf::message& msg, std::string primary_key,
                 int64_t deliver_at_ms);

/// Like `make_request_row` on the shard of `entity_id` in the entity group.
/// @returns the row, or the error of an empty or non-UTF-8 id or of a
///          message that does not encode.
caf::expected<storage::request_row>
make_stored_send(sharding_state& st, const std::string& entity_type,
                 const std::string& entity_id, const caf::message& msg,
                 std::string primary_key, int64_t deliver_at_ms);

} // namespace caf_cluster::internal
