// Typed message storage: the layer between actors and the message storage
// driver. It turns messages into stored rows and back (encoding, request ids,
// default primary keys), stores sends with an acknowledgement once they are
// durable, stores replies with an entity's state under a shard's lease epoch
// (reacting to a refused, fenced write by stopping the shard here), and keeps
// the senders that wait for a stored request's reply. Entity managers, the
// recovery of stored messages and cluster cron build on it; so will durable
// workflows. Use it from inside an actor: every call answers in that actor's
// context through the callbacks it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/message.hpp"

#include "caf_cluster/detail/send.hpp"
#include "caf_cluster/detail/storage_writer_actor.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/snowflake_generator.hpp"
#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster {

/// A message to store for an entity: a persisted send.
struct stored_send {
  /// The receiving entity's type.
  std::string entity_type;

  /// The receiving entity's id.
  std::string entity_id;

  /// The shard group of the receiving entity type; empty: the type's group
  /// if the type is registered on this runner, else the entity group (the
  /// first of `cluster.shard-groups`).
  std::string shard_group;

  /// The shard of `entity_id` in its shard group when the caller knows it
  /// already; 0 computes it.
  int32_t shard_index = 0;

  /// The message.
  caf::message payload;

  /// The deduplication key within the entity; empty for the default key of
  /// `identity` (one per send).
  std::string primary_key;

  /// The first instant (ms since the epoch) at which the message may be
  /// delivered; 0 delivers at once.
  int64_t deliver_at_ms = 0;

  /// The send's identity, which gives the default key.
  detail::delivery identity;
};

/// What storing a send did.
struct store_outcome {
  /// The stored request's id: the new row's, or the original's for a
  /// duplicate key.
  int64_t request_id = 0;

  /// Whether a request with the same entity and key was stored before.
  bool duplicate = false;

  /// The original's reply (a message holding one `caf::error` for an error
  /// reply) when it has one.
  std::optional<caf::message> reply;
};

/// A reply to store with `message_storage::store_reply`.
struct reply_to_store {
  /// The request it answers.
  int64_t request_id = 0;

  /// The shard of the request and the lease epoch it ran under: a write
  /// whose epoch is no longer the shard's newest is refused.
  storage::fence by;

  /// The reply (an error reply holds one `caf::error`).
  caf::message reply;

  /// The entity's encoded durable state, stored in the same transaction.
  std::optional<storage::state_row> state;
};

/// Senders waiting for the reply of a stored request, by request id: the
/// duplicates that join a running original, the senders of scheduled
/// messages. `Waiter` is whatever the owner needs to answer one.
template <class Waiter>
class reply_waiters {
public:
  /// Adds `w` to the waiters for `request_id`.
  void add(int64_t request_id, Waiter w) {
    by_request_[request_id].push_back(std::move(w));
  }

  /// Calls `f(w)` for every waiter of `request_id` and forgets them.
  template <class F>
  void complete(int64_t request_id, F f) {
    auto i = by_request_.find(request_id);
    if (i == by_request_.end())
      return;
    auto xs = std::move(i->second);
    by_request_.erase(i);
    for (auto& x : xs)
      f(x);
  }

  /// Calls `f(w)` for every waiter (of `only`, if given) that `pred`
  /// selects, then forgets those.
  template <class Pred, class F>
  void take_if(Pred pred, F f, std::optional<int64_t> only = std::nullopt) {
    for (auto i = by_request_.begin(); i != by_request_.end();) {
      if (only && i->first != *only) {
        ++i;
        continue;
      }
      auto& xs = i->second;
      std::vector<Waiter> kept;
      for (auto& x : xs) {
        if (pred(x))
          f(x);
        else
          kept.push_back(std::move(x));
      }
      xs = std::move(kept);
      i = xs.empty() ? by_request_.erase(i) : std::next(i);
    }
  }

  /// Calls `f(w)` for every waiter.
  template <class F>
  void for_each(F f) {
    for (auto& kvp : by_request_)
      for (auto& x : kvp.second)
        f(x);
  }

  /// Returns whether nobody waits.
  bool empty() const noexcept {
    return by_request_.empty();
  }

private:
  std::unordered_map<int64_t, std::vector<Waiter>> by_request_;
};

/// A runner's message storage, seen from inside one actor. Cheap to copy;
/// empty (false) on a runner without message storage.
class message_storage {
public:
  /// Called with a shard (`"group:index"`) and an epoch when storage refused
  /// a write made under that epoch: a newer owner exists.
  using fence_handler = std::function<void(const std::string&, int64_t)>;

  /// Returns the shard group of an entity type, for stored sends that name
  /// none.
  using group_resolver = std::function<std::string(const std::string&)>;

  /// An empty handle: no message storage.
  message_storage() = default;

  /// @private Made by the sharding service.
  message_storage(caf::actor_system& sys, detail::storage_writer_actor writer,
                  std::shared_ptr<snowflake_generator> ids,
                  std::string entity_group, int32_t shards_per_group,
                  fence_handler on_fenced, group_resolver group_of = nullptr);

  /// Returns whether this runner has message storage.
  explicit operator bool() const noexcept {
    return static_cast<bool>(writer_);
  }

  /// Builds the stored row of `x`: a new request id, the encoded message and
  /// its tag, the shard of `x.entity_id` in its group, the key (or
  /// the identity's default key). Claim fields stay 0.
  /// @returns the row, or `errc::invalid_argument` for an id without a shard
  ///          or a send without key and identity, or `errc::malformed_message`
  ///          for a message that does not encode.
  caf::expected<storage::request_row> make_row(const stored_send& x) const;

  /// Decodes the message of a stored row.
  caf::expected<caf::message> decode(const storage::request_row& row) const;

  /// Decodes a stored reply; one that no longer decodes becomes a message
  /// holding the `malformed_message` error.
  caf::message decode_reply(const storage::reply_row& row) const;

  /// Stores `row` (made by `make_row`) and calls `on_stored(store_outcome&)`
  /// once it is durable, or `on_error(caf::error&)` (`persistence_error`).
  /// A duplicate key stores nothing and names the original.
  template <class Self, class F, class G>
  void store(Self* self, storage::request_row row, F on_stored,
             G on_error) const {
    auto sys = sys_;
    self
      ->request(writer_, caf::infinite, detail::save_requests_atom::value,
                std::vector<storage::request_row>{std::move(row)})
      .then(
        [sys, on_stored,
         on_error](std::vector<storage::save_outcome>& xs) mutable {
          if (xs.size() != 1) {
            auto err = caf::make_error(errc::persistence_error,
                                       "no outcome for a row");
            on_error(err);
            return;
          }
          auto out = to_outcome(*sys, xs.front());
          on_stored(out);
        },
        [on_error](caf::error& err) mutable {
          on_error(err);
        });
  }

  /// Stores `x` fenced by `x.by` and calls `done(caf::error, caf::message)`
  /// with the outcome and the reply as stored: no error once stored;
  /// `storage::errc::fenced` when a newer owner holds the shard (the shard
  /// stops serving here at once if it is still held under that epoch);
  /// `malformed_message` when neither the reply
  /// nor the reason it cannot be encoded encodes; `persistence_error` when
  /// storage fails. A reply that does not encode is stored as the
  /// `malformed_message` error saying why.
  template <class Self, class F>
  void store_reply(Self* self, reply_to_store x, F done) const {
    auto w = make_reply_write(x);
    if (!w) {
      done(std::move(w.error()), std::move(x.reply));
      return;
    }
    auto reply = std::move(x.reply);
    auto fence = w->by;
    auto on_fenced = on_fenced_;
    auto sys = sys_;
    auto finish = [done, reply, fence, on_fenced, sys](caf::error err) mutable {
      if (err == storage::errc::fenced) {
        if (on_fenced)
          on_fenced(fence.shard, fence.epoch);
      } else if (err) {
        err = caf::make_error(errc::persistence_error, sys->render(err));
      }
      done(std::move(err), std::move(reply));
    };
    self
      ->request(writer_, caf::infinite, detail::save_replies_atom::value,
                std::vector<storage::reply_write>{std::move(*w)})
      .then(
        [finish](std::vector<caf::error>& xs) mutable {
          finish(xs.size() == 1 ? std::move(xs.front())
                                : caf::make_error(errc::persistence_error,
                                                  "no result for a reply"));
        },
        [finish](caf::error& err) mutable {
          finish(std::move(err));
        });
  }

  /// Loads the durable state of an entity and calls
  /// `f(std::optional<std::string>&)` (none: no state stored yet) or
  /// `on_error(caf::error&)`.
  template <class Self, class F, class G>
  void load_state(Self* self, std::string entity_type, std::string entity_id,
                  F f, G on_error) const {
    self
      ->request(writer_, caf::infinite, detail::load_state_atom::value,
                std::move(entity_type), std::move(entity_id))
      .then(
        [f](bool found, std::string& bytes) mutable {
          std::optional<std::string> x;
          if (found)
            x = std::move(bytes);
          f(x);
        },
        [on_error](caf::error& err) mutable {
          on_error(err);
        });
  }

  /// Reads the stored reply of `request_id` and calls
  /// `f(std::optional<caf::message>&)` (none: no reply yet, or no such
  /// request) or `on_error(caf::error&)`.
  template <class Self, class F, class G>
  void reply_for(Self* self, int64_t request_id, F f, G on_error) const {
    auto sys = sys_;
    self
      ->request(writer_, caf::infinite, detail::reply_for_atom::value,
                request_id)
      .then(
        [sys, request_id, f](bool found, bool ok, std::string& bytes) mutable {
          std::optional<caf::message> x;
          if (found)
            x = decode_reply(
              *sys, storage::reply_row{request_id, ok, std::move(bytes)});
          f(x);
        },
        [on_error](caf::error& err) mutable {
          on_error(err);
        });
  }

  /// Claims up to `limit` unprocessed, due requests of `shards` (see
  /// `storage::message_driver::claim_unprocessed`) and calls
  /// `f(std::vector<storage::request_row>&)` or `on_error(caf::error&)`.
  template <class Self, class F, class G>
  void claim(Self* self, std::vector<std::string> shards, int64_t now_ms,
             int64_t claim_ms, uint64_t limit, F f, G on_error) const {
    self
      ->request(writer_, caf::infinite, detail::claim_atom::value,
                std::move(shards), now_ms, claim_ms, limit)
      .then(
        [f](std::vector<storage::request_row>& rows) mutable {
          f(rows);
        },
        [on_error](caf::error& err) mutable {
          on_error(err);
        });
  }

  /// Reads up to `limit` unprocessed, due requests of one entity without
  /// claiming them (see `storage::message_driver::unprocessed_for_entity`)
  /// and calls `f(std::vector<storage::request_row>&)` or
  /// `on_error(caf::error&)`.
  template <class Self, class F, class G>
  void unprocessed_for(Self* self, std::string entity_type,
                       std::string entity_id, int64_t now_ms, uint64_t limit,
                       F f, G on_error) const {
    self
      ->request(writer_, caf::infinite, detail::read_entity_atom::value,
                std::move(entity_type), std::move(entity_id), now_ms, limit)
      .then(
        [f](std::vector<storage::request_row>& rows) mutable {
          f(rows);
        },
        [on_error](caf::error& err) mutable {
          on_error(err);
        });
  }

  /// Returns the writer actor (for tests and tools).
  const detail::storage_writer_actor& writer() const noexcept {
    return writer_;
  }

  /// Runs `work` and stores the entity's state it returns in one storage
  /// transaction fenced by `by` (see
  /// `storage::message_driver::transact_state`), after the writes requested
  /// before it, and calls `done(caf::error)`: no error once committed; the
  /// work's own error, unchanged, when it failed (nothing it wrote is kept);
  /// `storage::errc::fenced` when a newer owner holds the shard (the shard
  /// stops serving here, as for `store_reply`), without running `work`;
  /// `errc::unsupported` on storage without SQL (the memory backend),
  /// without running `work`; `persistence_error` with the storage's message
  /// when storage fails or `work` throws.
  /// @warning `work` runs on the storage writer's thread, not in `self`'s
  ///          context: it must not touch the actor's state, and it blocks
  ///          every other storage call of the runner while it runs.
  template <class Self, class F>
  void transact_state(Self* self, storage::fence by, std::string entity_type,
                      std::string entity_id,
                      storage::message_driver::state_work work, F done) const {
    // Tells the work's own error from the storage's ones.
    auto own = std::make_shared<caf::error>();
    detail::state_transaction x{
      by, std::move(entity_type), std::move(entity_id),
      [own, work{std::move(work)}](
        storage::sql_transaction& tx) -> caf::expected<std::string> {
        auto result = work(tx);
        if (!result)
          *own = result.error();
        return result;
      }};
    auto on_fenced = on_fenced_;
    auto sys = sys_;
    auto finish = [done, own, by, on_fenced, sys](caf::error err) mutable {
      if (err && !*own) {
        if (err == storage::errc::fenced && on_fenced)
          on_fenced(by.shard, by.epoch);
        err = from_storage(*sys, std::move(err));
      }
      done(std::move(err));
    };
    self
      ->request(writer_, caf::infinite, detail::transact_atom::value,
                std::move(x))
      .then(
        [finish]() mutable {
          finish(caf::error{});
        },
        [finish](caf::error& err) mutable {
          finish(std::move(err));
        });
  }

  /// Deletes everything stored for one entity (its requests, processed or
  /// not, their replies and its state; see
  /// `storage::message_driver::purge_entity`), after the writes requested
  /// before it, and calls `done(caf::error)`: no error once deleted (also
  /// when nothing was stored), else `persistence_error` with the storage's
  /// message.
  template <class Self, class F>
  void purge_entity(Self* self, std::string entity_type, std::string entity_id,
                    F done) const {
    auto sys = sys_;
    self
      ->request(writer_, caf::infinite, detail::purge_atom::value,
                std::move(entity_type), std::move(entity_id))
      .then(
        [done]() mutable {
          done(caf::error{});
        },
        [done, sys](caf::error& err) mutable {
          done(from_storage(*sys, std::move(err)));
        });
  }

private:
  static store_outcome to_outcome(caf::actor_system& sys,
                                  storage::save_outcome& x);

  static caf::message decode_reply(caf::actor_system& sys,
                                   const storage::reply_row& row);

  caf::expected<storage::reply_write> make_reply_write(reply_to_store& x) const;

  // A storage failure as callers see it: `fenced` as is, `unsupported` as
  // `errc::unsupported`, anything else as `persistence_error` with its text.
  static caf::error from_storage(caf::actor_system& sys, caf::error err);

  caf::actor_system* sys_ = nullptr;
  detail::storage_writer_actor writer_;
  std::shared_ptr<snowflake_generator> ids_;
  std::string entity_group_;
  int32_t shards_per_group_ = 0;
  fence_handler on_fenced_;
  group_resolver group_of_;
};

} // namespace caf_cluster
