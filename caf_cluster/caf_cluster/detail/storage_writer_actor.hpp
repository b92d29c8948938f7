// The protocol of the storage writer: the one actor per runner that talks to
// message storage. Writes are group-committed (every save that reaches it in
// one turn of its mailbox shares one transaction); reads go through it too,
// after the writes it holds, so a caller reads its own writes. Rows travel
// between actors of one process only, never over the network.
//
// ~~~
// save_requests_atom, std::vector<request_row>
//   -> std::vector<save_outcome>             one per row, in order
// save_replies_atom, std::vector<reply_write>
//   -> std::vector<caf::error>               one per write: none, or why
//   refused
// load_state_atom, entity_type, entity_id
//   -> bool found, std::string state
// reply_for_atom, int64_t request_id
//   -> bool found, bool ok, std::string payload
// claim_atom, shards, int64_t now_ms, int64_t claim_ms, uint64_t limit
//   -> std::vector<request_row>              see
//   message_driver::claim_unprocessed
// read_entity_atom, entity_type, entity_id, int64_t now_ms, uint64_t limit
//   -> std::vector<request_row>              see
//   message_driver::unprocessed_for_entity
// transact_atom, state_transaction
//   -> void                                  see
//   message_driver::transact_state; fails with its error as is
// purge_atom, entity_type, entity_id
//   -> void                                  see
//   message_driver::purge_entity; fails with its error as is
// ~~~
// The first six fail with `errc::persistence_error` (and the storage's
// message) when storage fails. The last two are writes that commit the open
// batch first, so they stay in order with the saves sent before them; their
// errors stay as storage gave them (the work's own, `fenced`, `unsupported`)
// for `message_storage` to tell apart.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::detail {

/// Saves persisted requests.
using save_requests_atom = caf::atom_constant<caf::atom("cc_savereq")>;

/// Saves replies (with state), fenced by the shard's lease epoch.
using save_replies_atom = caf::atom_constant<caf::atom("cc_saverep")>;

/// Reads the durable state of an entity.
using load_state_atom = caf::atom_constant<caf::atom("cc_loadst")>;

/// Reads the stored reply of a request.
using reply_for_atom = caf::atom_constant<caf::atom("cc_replyfr")>;

/// Claims unprocessed requests of shards for delivery.
using claim_atom = caf::atom_constant<caf::atom("cc_claim")>;

/// Reads the unprocessed requests of one entity without claiming them.
using read_entity_atom = caf::atom_constant<caf::atom("cc_readent")>;

/// Runs work in the transaction that stores an entity's state.
using transact_atom = caf::atom_constant<caf::atom("cc_transst")>;

/// Deletes an entity's requests, replies and state.
using purge_atom = caf::atom_constant<caf::atom("cc_purge")>;

/// The arguments of `message_driver::transact_state`, as one message element.
struct state_transaction {
  /// The lease the state is written under.
  storage::fence by;

  /// The entity's type.
  std::string entity_type;

  /// The entity's id.
  std::string entity_id;

  /// The work; runs on the writer's thread.
  storage::message_driver::state_work work;
};

/// The storage writer's interface.
using storage_writer_actor = caf::typed_actor<
  caf::replies_to<save_requests_atom, std::vector<storage::request_row>>::with<
    std::vector<storage::save_outcome>>,
  caf::replies_to<save_replies_atom, std::vector<storage::reply_write>>::with<
    std::vector<caf::error>>,
  caf::replies_to<load_state_atom, std::string, std::string>::with<bool,
                                                                   std::string>,
  caf::replies_to<reply_for_atom, int64_t>::with<bool, bool, std::string>,
  caf::replies_to<claim_atom, std::vector<std::string>, int64_t, int64_t,
                  uint64_t>::with<std::vector<storage::request_row>>,
  caf::replies_to<read_entity_atom, std::string, std::string, int64_t,
                  uint64_t>::with<std::vector<storage::request_row>>,
  caf::reacts_to<transact_atom, state_transaction>,
  caf::reacts_to<purge_atom, std::string, std::string>>;

} // namespace caf_cluster::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<caf_cluster::storage::request_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<caf_cluster::storage::save_outcome>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<caf_cluster::storage::reply_write>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(caf_cluster::detail::state_transaction)
