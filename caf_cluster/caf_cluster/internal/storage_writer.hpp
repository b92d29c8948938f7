// Group commit for message storage: every save that reaches the writer in one
// turn of its mailbox goes to storage in one transaction, so requests that
// arrive together share one commit (and one fsync) instead of paying one
// each. Nothing waits for a timer: the batch closes when the mailbox turn
// ends (a message to itself marks it), or at `max_batch` rows; a graceful
// exit commits the open batch before the writer stops. Its protocol is
// `detail::storage_writer_actor`.
#pragma once

#include <cstddef>
#include <memory>

#include "caf/fwd.hpp"

#include "caf_cluster/detail/storage_writer_actor.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster {

class runner_counters;
class wall_clock;

} // namespace caf_cluster

namespace caf_cluster::internal {

class logger;

/// Rows of one kind after which a batch is committed without waiting for the
/// end of the mailbox turn.
constexpr size_t max_batch = 1024;

/// Spawns a writer over `driver`; `detached` runs it on a thread of its own
/// (storage calls block), which the deterministic tests turn off. Failed
/// storage calls are logged to `log` if given. Replies without a time get
/// `clock`'s time of their commit (`reply_write::processed_at_ms`, from which
/// retention counts); without a clock they stay unstamped. Each commit's
/// duration and rows go into `counters` if given.
detail::storage_writer_actor
spawn_storage_writer(caf::actor_system& sys,
                     std::shared_ptr<storage::message_driver> driver,
                     bool detached = true,
                     std::shared_ptr<const logger> log = nullptr,
                     std::shared_ptr<wall_clock> clock = nullptr,
                     std::shared_ptr<runner_counters> counters = nullptr);

} // namespace caf_cluster::internal
