// A persisted message written straight to message storage, with no sender
// waiting: the owner of its shard delivers it from storage when it is due.
// Cluster cron stores its ticks this way, so a tick's successor is durable
// before the tick's job runs.
#pragma once

#include <cstdint>
#include <string>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::internal {

struct sharding_state;

/// Builds the stored row of `msg` for entity `entity_id` of `entity_type`,
/// due at `deliver_at_ms`, deduplicated by `primary_key` (non-empty). Save
/// it with `save_requests_atom` through `st.writer`.
/// @returns the row, or the error of an empty or non-UTF-8 id or of a
///          message that does not encode.
caf::expected<storage::request_row>
make_stored_send(sharding_state& st, const std::string& entity_type,
                 const std::string& entity_id, const caf::message& msg,
                 std::string primary_key, int64_t deliver_at_ms);

} // namespace caf_cluster::internal
