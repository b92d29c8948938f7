// Message storage on encoded rows: persisted requests, their replies and the
// durable state of entities (docs/architecture.md §7). The core layers its typed
// message storage over this driver and decodes the opaque bytes itself;
// every backend passes the same conformance suite (tests/storage).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/sql_transaction.hpp"

namespace caf_cluster::storage {

/// A persisted request as stored.
struct request_row {
  /// The request's snowflake id: unique, and the order of delivery.
  int64_t request_id = 0;

  /// The type of the receiving entity.
  std::string entity_type;

  /// The id of the receiving entity.
  std::string entity_id;

  /// The shard of the receiving entity, `"group:index"`.
  std::string shard;

  /// The name of the message type.
  std::string tag;

  /// The encoded message; opaque bytes to the driver.
  std::string payload;

  /// The encoded headers; opaque bytes to the driver.
  std::string headers;

  /// The deduplication key within the entity; never empty (the core passes
  /// the request id as text when the message type has no key of its own).
  std::string primary_key;

  /// The first instant at which the request may be delivered; 0 delivers at
  /// once.
  int64_t deliver_at_ms = 0;

  /// Whether the request has its reply (set by the driver, ignored when
  /// saving).
  bool processed = false;

  /// When a runner last claimed the request for delivery, 0 if never or
  /// since a reset. Stored as given when saving: a runner that delivers a
  /// request it saves claims it at once, so that periodic claims leave it
  /// alone while it runs.
  int64_t claimed_at_ms = 0;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const request_row& x, const request_row& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const request_row& x, const request_row& y) noexcept;

/// The reply to a persisted request as stored.
struct reply_row {
  /// The id of the request this reply answers; the key of the row.
  int64_t request_id = 0;

  /// Whether the handler succeeded.
  bool ok = true;

  /// The encoded result if `ok`, else the encoded error; opaque bytes.
  std::string payload;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const reply_row& x, const reply_row& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const reply_row& x, const reply_row& y) noexcept;

/// The durable state of one entity as stored.
struct state_row {
  /// The entity's type; with `entity_id` the key of the row.
  std::string entity_type;

  /// The entity's id.
  std::string entity_id;

  /// The encoded state; opaque bytes to the driver.
  std::string payload;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const state_row& x, const state_row& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const state_row& x, const state_row& y) noexcept;

/// The lease a writer holds for the shard it writes for (docs/architecture.md §7).
struct fence {
  /// The shard, `"group:index"`.
  std::string shard;

  /// The epoch of the writer's lease on `shard`, as `runner_driver::acquire`
  /// granted it.
  int64_t epoch = 0;
};

/// What `message_driver::save_requests` did with one request.
struct save_outcome {
  /// Whether a request with the same entity and primary key was stored
  /// before (or earlier in the same batch); the row was then not stored.
  bool duplicate = false;

  /// The id of the stored request: the row's own id, or the original one's
  /// for a duplicate.
  int64_t request_id = 0;

  /// The stored reply of the original request, if it has one yet.
  std::optional<reply_row> reply;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const save_outcome& x, const save_outcome& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const save_outcome& x, const save_outcome& y) noexcept;

/// One reply to store with `message_driver::save_replies`.
struct reply_write {
  /// The reply.
  reply_row reply;

  /// The lease under which the reply was produced; must name the shard of
  /// the request.
  fence by;

  /// The entity's new durable state, stored with the reply, if it has one.
  std::optional<state_row> state;

  /// When the reply was produced, in the callers' common clock: retention
  /// (`message_driver::expire_processed`) counts from here. 0 leaves the
  /// request unstamped; the next `expire_processed` stamps it with its own
  /// `now_ms`, so it is kept for a whole retention period from then.
  int64_t processed_at_ms = 0;
};

/// How long the processed requests of one entity type are kept; see
/// `message_driver::expire_processed`.
struct retention_rule {
  /// The entity type the rule applies to (exact match).
  std::string entity_type;

  /// How long after its reply a processed request is kept, in milliseconds;
  /// negative keeps it for ever.
  int64_t retention_ms = -1;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const retention_rule& x, const retention_rule& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const retention_rule& x, const retention_rule& y) noexcept;

/// The size of one table of message storage; see `message_driver::table_sizes`.
struct table_size {
  /// The table's name as the backend stores it (e.g. `cluster_requests`).
  std::string table;

  /// How many rows it holds.
  int64_t rows = 0;

  /// How many bytes it takes with its indexes, or -1 when the backend cannot
  /// tell cheaply.
  int64_t bytes = -1;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const table_size& x, const table_size& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const table_size& x, const table_size& y) noexcept;

/// The number of unprocessed requests of one entity type in one shard.
struct pending_count {
  /// The shard, `"group:index"`.
  std::string shard;

  /// The entity type.
  std::string entity_type;

  /// How many requests wait for their reply, due or not.
  int64_t count = 0;

  /// The smallest `deliver_at_ms` among these requests, due or not (0 when
  /// one is for at once): when the earliest of them is due, e.g. a cluster
  /// cron's next tick.
  int64_t next_deliver_at_ms = 0;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const pending_count& x, const pending_count& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const pending_count& x, const pending_count& y) noexcept;

/// What `message_driver::save_batch` did: the results `save_requests` and
/// `save_replies` would have given.
struct batch_outcome {
  /// One outcome per saved request, as `save_requests` returns them.
  caf::expected<std::vector<save_outcome>> requests{std::vector<save_outcome>{}};
  /// One result per saved reply, as `save_replies` returns them.
  caf::expected<std::vector<caf::error>> replies{std::vector<caf::error>{}};
};

/// Storage of persisted requests, replies and durable entity state, shared
/// by all runners of a cluster.
///
/// A request is *unprocessed* until its reply is stored; each request gets
/// at most one reply. Writes made on behalf of a shard (replies, state)
/// carry a `fence` and are refused with `errc::fenced` once runner storage
/// holds a newer epoch for the shard, so a former owner commits nothing.
/// Time enters only through the `now_ms` parameters, in the callers' common
/// clock. Every operation is atomic: it either applies completely or fails
/// with an error and changes nothing. Payloads and headers are opaque bytes.
/// Implementations are thread-safe.
class message_driver {
public:
  virtual ~message_driver();

  /// Stores `rows` in one transaction (group commit). Senders need no lease,
  /// so this write is not fenced.
  ///
  /// A row whose entity (`entity_type`, `entity_id`) already has a request
  /// with its `primary_key`, stored before or earlier in `rows`, is not
  /// stored: its outcome is a duplicate naming the original request and its
  /// reply, if any. Saving a row again after an error is thus safe.
  /// @returns one outcome per row, in the order of `rows`;
  ///          `errc::invalid_argument` when a row has an empty
  ///          `entity_type`, `entity_id`, `shard` or `primary_key`, or reuses
  ///          the id of a stored request under another key (nothing is
  ///          stored then).
  virtual caf::expected<std::vector<save_outcome>>
  save_requests(const std::vector<request_row>& rows) = 0;

  /// Stores `writes` in one transaction, each write completely or not at
  /// all: the reply, the request marked processed, and the state replaced.
  /// @returns one result per write, in the order of `writes`: no error when
  ///          stored; `errc::fenced` (naming the shard and both epochs) when
  ///          the shard has an epoch newer than `by.epoch`;
  ///          `errc::invalid_argument` when the request is unknown, has a
  ///          reply already (also from earlier in `writes`), belongs to
  ///          another shard than `by.shard`, or `state` names another entity
  ///          than the request. The call itself fails only when storage
  ///          fails, and then stores nothing.
  virtual caf::expected<std::vector<caf::error>>
  save_replies(const std::vector<reply_write>& writes) = 0;

  /// Returns the reply to `request_id`, or none while it has no reply or the
  /// request is unknown.
  virtual caf::expected<std::optional<reply_row>> reply_for(int64_t request_id)
    = 0;

  /// Claims up to `limit` unprocessed requests of `shards` for delivery at
  /// `now_ms`: requests that are due (`deliver_at_ms <= now_ms`) and not
  /// claimed within the last `claim_ms` (never, since a reset, or at or
  /// before `now_ms - claim_ms`), so that a runner that restarts a shard's
  /// delivery does not deliver one request twice at once.
  /// @returns the claimed requests sorted by request id, with
  ///          `claimed_at_ms == now_ms`; none for empty `shards` or a
  ///          `limit` of 0; `errc::invalid_argument` for a negative
  ///          `claim_ms`.
  virtual caf::expected<std::vector<request_row>>
  claim_unprocessed(const std::vector<std::string>& shards, int64_t now_ms,
                    int64_t claim_ms, size_t limit)
    = 0;

  /// Reads up to `limit` unprocessed, due (`deliver_at_ms <= now_ms`)
  /// requests of one entity without claiming them: an entity whose mailbox
  /// was full takes what waits for it in storage once it has room.
  /// @returns the requests sorted by request id, `claimed_at_ms` as stored
  ///          (0 if unclaimed); none for a `limit` of 0.
  virtual caf::expected<std::vector<request_row>>
  unprocessed_for_entity(const std::string& entity_type,
                         const std::string& entity_id, int64_t now_ms,
                         size_t limit)
    = 0;

  /// Clears the claims of the unprocessed requests of `shards`, e.g. when a
  /// runner acquires a shard and must deliver everything again at once.
  virtual caf::error reset_claims(const std::vector<std::string>& shards) = 0;

  /// Returns the durable state of an entity, or none if it has none.
  virtual caf::expected<std::optional<std::string>>
  load_state(const std::string& entity_type, const std::string& entity_id) = 0;

  /// Replaces the durable state of an entity without a reply.
  /// @returns no error when stored; `errc::fenced` (naming the shard and both
  ///          epochs) when `by.shard` has an epoch newer than `by.epoch`;
  ///          `errc::invalid_argument` for an empty entity type, entity id or
  ///          shard.
  virtual caf::error save_state(const state_row& state, const fence& by) = 0;

  /// Returns the number of unprocessed requests, due or not, per shard and
  /// entity type, with the earliest `deliver_at_ms` among them, sorted by
  /// shard and then entity type (as strings), without zero counts.
  virtual caf::expected<std::vector<pending_count>> pending_counts() = 0;

  /// Stores `rows` as `save_requests` and `writes` as `save_replies` would,
  /// in one transaction where the backend can (a group commit of everything
  /// a runner has to write at once takes the database's write lock once).
  /// The default calls the two in turn.
  virtual batch_outcome save_batch(const std::vector<request_row>& rows,
                                   const std::vector<reply_write>& writes);

  /// The work of `transact_state`: writes its own rows through the open
  /// transaction and returns the entity's new encoded state, or an error to
  /// roll everything back.
  using state_work
    = std::function<caf::expected<std::string>(sql_transaction&)>;

  /// Runs `work` and stores the state it returns for the entity, in one
  /// transaction fenced by `by` (as `save_state` is): the caller's own
  /// writes commit exactly once, together with the state, or not at all.
  /// `work` runs on the calling thread while the driver holds its lock; an
  /// exception it throws is caught and rolls back like an error.
  /// @returns no error when committed; the error of `work`, unchanged, when
  ///          it fails (nothing it wrote is kept); `errc::fenced` (naming the
  ///          shard and both epochs) when `by.shard` has an epoch newer than
  ///          `by.epoch`, and `errc::invalid_argument` for an empty entity
  ///          type, entity id or shard, both without running `work`;
  ///          `errc::unsupported` without running `work` on a backend
  ///          without SQL (the memory backend, and the default); a storage
  ///          error when storage fails or `work` throws (naming the
  ///          exception's message).
  virtual caf::error transact_state(const fence& by,
                                    const std::string& entity_type,
                                    const std::string& entity_id,
                                    const state_work& work);

  /// Returns up to `limit` durable states whose entity type starts with
  /// `entity_type_prefix` (all for an empty prefix), sorted by entity type
  /// and then entity id (as byte strings).
  virtual caf::expected<std::vector<state_row>>
  list_states(const std::string& entity_type_prefix, size_t limit) = 0;

  /// Deletes everything stored for one entity in one transaction: its
  /// requests (processed or not), their replies and its durable state.
  /// @returns no error, also when nothing was stored for it.
  virtual caf::error purge_entity(const std::string& entity_type,
                                  const std::string& entity_id)
    = 0;

  /// Deletes, in one transaction, up to `limit` processed requests together
  /// with their replies whose reply was stored (`reply_write::
  /// processed_at_ms`) at or before `now_ms - retention`, where retention is
  /// the `rules` entry for the request's entity type or else
  /// `default_retention_ms`; a negative retention keeps them for ever.
  /// Unprocessed requests and durable state are never deleted. A processed
  /// request stored without a time (0) is first stamped with `now_ms`
  /// (counting as one of the `limit` rows) and expires a retention period
  /// later. Oldest replies go first, so repeated calls with a small `limit`
  /// drain a backlog in batches without holding the write lock for long.
  /// @returns how many requests were deleted or stamped (fewer than `limit`
  ///          when nothing more is due); `errc::invalid_argument` for a
  ///          `limit` of 0; `errc::unsupported` on a backend without it (the
  ///          default).
  virtual caf::expected<size_t>
  expire_processed(int64_t now_ms, int64_t default_retention_ms,
                   const std::vector<retention_rule>& rules, size_t limit);

  /// Returns the row count (and, where cheap, the size) of each table of
  /// message storage, sorted by table name.
  /// @returns the sizes; `errc::unsupported` on a backend without it (the
  ///          default).
  virtual caf::expected<std::vector<table_size>> table_sizes();
};

} // namespace caf_cluster::storage
