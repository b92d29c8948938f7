// Group commit for message storage: every save that reaches the writer in one
// turn of its mailbox goes to storage in one transaction, so requests that
// arrive together share one commit (and one fsync) instead of paying one
// each. Nothing waits for a timer: the batch closes when the mailbox turn
// ends (a message to itself marks it), or at `max_batch` rows.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "caf/actor.hpp"
#include "caf/atom.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::internal {

/// `(save_requests_atom, std::vector<storage::request_row>)` ->
/// `std::vector<storage::save_outcome>`, or `errc::persistence_error`.
using save_requests_atom = caf::atom_constant<caf::atom("cc_savereq")>;

/// `(save_replies_atom, std::vector<storage::reply_write>)` ->
/// `std::vector<caf::error>` (one per write: none, or why it was refused),
/// or `errc::persistence_error`.
using save_replies_atom = caf::atom_constant<caf::atom("cc_saverep")>;

/// `(load_state_atom, entity_type, entity_id)` -> `(bool found, std::string
/// state)`, or `errc::persistence_error`.
using load_state_atom = caf::atom_constant<caf::atom("cc_loadst")>;

/// `(reply_for_atom, int64_t request_id)` -> `(bool found, bool ok,
/// std::string payload)`, or `errc::persistence_error`.
using reply_for_atom = caf::atom_constant<caf::atom("cc_replyfr")>;

/// `(claim_atom, std::vector<std::string> shards, int64_t now_ms, int64_t
/// claim_ms, uint64_t limit)` -> `std::vector<storage::request_row>`, or
/// `errc::persistence_error`.
using claim_atom = caf::atom_constant<caf::atom("cc_claim")>;

/// Rows of one kind after which a batch is committed without waiting for the
/// end of the mailbox turn.
constexpr size_t max_batch = 1024;

/// Reads go through the writer too, after the writes it holds: a read sees
/// every write requested before it (read-your-writes for one caller).
///
/// Spawns a writer over `driver`; `detached` runs it on a thread of its own
/// (storage calls block), which the deterministic tests turn off.
caf::actor spawn_storage_writer(caf::actor_system& sys,
                                std::shared_ptr<storage::message_driver> driver,
                                bool detached = true);

} // namespace caf_cluster::internal

// Rows travel between actors of one process only (the writer never crosses
// the network), so they need no serialization.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<caf_cluster::storage::request_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<caf_cluster::storage::save_outcome>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<caf_cluster::storage::reply_write>)
