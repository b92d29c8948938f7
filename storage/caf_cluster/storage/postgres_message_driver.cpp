#include "caf_cluster/storage/postgres_message_driver.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <pqxx/except>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/error_text.hpp"
#include "caf_cluster/storage/internal/message_rules.hpp"
#include "caf_cluster/storage/internal/postgres_message_retention.hpp"
#include "caf_cluster/storage/internal/postgres_schema.hpp"
#include "caf_cluster/storage/internal/postgres_storage.hpp"
#include "caf_cluster/storage/internal/postgres_transaction.hpp"
#include "caf_cluster/storage/internal/retention_rules.hpp"
#include "caf_cluster/storage/sql_transaction.hpp"

namespace caf_cluster::storage {

namespace {

using internal::as_bytea;
using internal::bytes_of;
using internal::after_prefix;
using internal::clamp_limit;
using internal::count_of;
using internal::entity_name;
using internal::hex_array;
using tx_ref = pqxx::transaction_base&;
using attempt_ref = const internal::postgres_attempt&;

// A request from the first nine columns of `ms_claim` or `ms_for_entity`.
request_row request_of(const pqxx::row& r) {
  request_row row;
  row.request_id = r[0].as<int64_t>();
  row.entity_type = bytes_of(r[1]);
  row.entity_id = bytes_of(r[2]);
  row.shard = bytes_of(r[3]);
  row.tag = bytes_of(r[4]);
  row.payload = bytes_of(r[5]);
  row.headers = bytes_of(r[6]);
  row.primary_key = bytes_of(r[7]);
  row.deliver_at_ms = r[8].as<int64_t>();
  return row;
}

// Fencing: see the comment on isolation in postgres_runner_driver.cpp. Each
// write locks the epoch rows of its shards FOR SHARE before it checks them.
class postgres_message_driver : public message_driver {
public:
  explicit postgres_message_driver(
    std::shared_ptr<internal::postgres_pool> pool)
    : pool_(std::move(pool)) {
    // nop
  }

  caf::expected<std::vector<save_outcome>>
  save_requests(const std::vector<request_row>& rows) override {
    if (auto err = internal::check_requests(rows))
      return err;
    if (rows.empty())
      return std::vector<save_outcome>{};
    return write("save " + count_of(rows.size(), "requests"),
                 [&](tx_ref tx, attempt_ref a)
                   -> caf::expected<std::vector<save_outcome>> {
                   return do_save_requests(tx, a, rows);
                 });
  }

  caf::expected<std::vector<caf::error>>
  save_replies(const std::vector<reply_write>& writes) override {
    if (writes.empty())
      return std::vector<caf::error>{};
    return write("save " + count_of(writes.size(), "replies"),
                 [&](tx_ref tx, attempt_ref a)
                   -> caf::expected<std::vector<caf::error>> {
                   return do_save_replies(tx, a, writes);
                 });
  }

  batch_outcome save_batch(const std::vector<request_row>& rows,
                           const std::vector<reply_write>& writes) override {
    if (rows.empty() || writes.empty() || internal::check_requests(rows))
      return message_driver::save_batch(rows, writes);
    using both = std::pair<std::vector<save_outcome>, std::vector<caf::error>>;
    auto done = write("save " + count_of(rows.size(), "requests") + " and "
                        + count_of(writes.size(), "replies"),
                      [&](tx_ref tx, attempt_ref a) -> caf::expected<both> {
                        auto saved = do_save_requests(tx, a, rows);
                        if (!saved)
                          return std::move(saved.error());
                        auto replied = do_save_replies(tx, a, writes);
                        if (!replied)
                          return std::move(replied.error());
                        return both{std::move(*saved), std::move(*replied)};
                      });
    if (!done) {
      // Each part's own outcome (e.g. one bad row refuses only the
      // requests); rare, so two transactions are fine here.
      return message_driver::save_batch(rows, writes);
    }
    batch_outcome result;
    result.requests = std::move(done->first);
    result.replies = std::move(done->second);
    return result;
  }

  caf::expected<std::optional<reply_row>>
  reply_for(int64_t request_id) override {
    return read("read reply to request " + std::to_string(request_id),
                [&](tx_ref tx, attempt_ref)
                  -> caf::expected<std::optional<reply_row>> {
                  return reply_of(tx, request_id);
                });
  }

  caf::expected<std::vector<request_row>>
  claim_unprocessed(const std::vector<std::string>& shards, int64_t now_ms,
                    int64_t claim_ms, size_t limit) override {
    if (auto err = internal::check_claim(claim_ms))
      return err;
    if (shards.empty() || limit == 0)
      return std::vector<request_row>{};
    return write("claim requests of " + count_of(shards.size(), "shards"),
                 [&](tx_ref tx, attempt_ref)
                   -> caf::expected<std::vector<request_row>> {
                   std::vector<request_row> result;
                   auto res = tx.exec_prepared(
                     "ms_claim", hex_array(shards), now_ms,
                     internal::claim_cutoff(now_ms, claim_ms),
                     clamp_limit(limit));
                   for (const auto& r : res) {
                     result.push_back(request_of(r));
                     result.back().claimed_at_ms = now_ms;
                   }
                   std::sort(result.begin(), result.end(),
                             [](const auto& x, const auto& y) {
                               return x.request_id < y.request_id;
                             });
                   return result;
                 });
  }

  caf::expected<std::vector<request_row>>
  unprocessed_for_entity(const std::string& entity_type,
                         const std::string& entity_id, int64_t now_ms,
                         size_t limit) override {
    if (limit == 0)
      return std::vector<request_row>{};
    return read("read unprocessed requests of "
                  + entity_name(entity_type, entity_id),
                [&](tx_ref tx, attempt_ref)
                  -> caf::expected<std::vector<request_row>> {
                  std::vector<request_row> result;
                  auto res = tx.exec_prepared(
                    "ms_for_entity", as_bytea(entity_type),
                    as_bytea(entity_id), now_ms, clamp_limit(limit));
                  for (const auto& r : res) {
                    result.push_back(request_of(r));
                    if (!r[9].is_null())
                      result.back().claimed_at_ms = r[9].as<int64_t>();
                  }
                  return result;
                });
  }

  caf::error reset_claims(const std::vector<std::string>& shards) override {
    if (shards.empty())
      return {};
    return write("reset claims of " + count_of(shards.size(), "shards"),
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   tx.exec_prepared("ms_reset_claims", hex_array(shards));
                   return {};
                 });
  }

  caf::expected<std::optional<std::string>>
  load_state(const std::string& entity_type,
             const std::string& entity_id) override {
    return read("load state of " + entity_name(entity_type, entity_id),
                [&](tx_ref tx, attempt_ref)
                  -> caf::expected<std::optional<std::string>> {
                  auto res = tx.exec_prepared("ms_state", as_bytea(entity_type),
                                              as_bytea(entity_id));
                  if (res.empty())
                    return std::optional<std::string>{};
                  return std::optional<std::string>{bytes_of(res[0][0])};
                });
  }

  caf::error save_state(const state_row& state, const fence& by) override {
    if (auto err = internal::check_state(state, by))
      return err;
    return write("save state of "
                   + entity_name(state.entity_type, state.entity_id),
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   auto epochs = fence_epochs(tx, {by.shard});
                   if (auto err = internal::check_fence(by, epochs[by.shard]))
                     return err;
                   put_state(tx, state);
                   return {};
                 });
  }

  caf::expected<std::vector<pending_count>> pending_counts() override {
    return read("count pending requests",
                [&](tx_ref tx, attempt_ref)
                  -> caf::expected<std::vector<pending_count>> {
                  std::vector<pending_count> result;
                  for (const auto& r : tx.exec_prepared("ms_pending"))
                    result.push_back(pending_count{bytes_of(r[0]),
                                                   bytes_of(r[1]),
                                                   r[2].as<int64_t>(),
                                                   r[3].as<int64_t>()});
                  return result;
                });
  }

  caf::error transact_state(const fence& by, const std::string& entity_type,
                            const std::string& entity_id,
                            const state_work& work) override {
    if (auto err = internal::check_state(state_row{entity_type, entity_id, {}},
                                         by))
      return err;
    auto what = "transact state of " + entity_name(entity_type, entity_id);
    return write(what, [&](tx_ref tx, attempt_ref a) -> caf::error {
      // The work's own rows cannot tell an earlier commit from none.
      if (a.maybe_committed)
        return caf::make_error(errc::io_error,
                               what + " on PostgreSQL at " + pool_->name()
                                 + ": the connection broke during the "
                                   "commit and its outcome is unknown");
      auto epochs = fence_epochs(tx, {by.shard});
      if (auto err = internal::check_fence(by, epochs[by.shard]))
        return err;
      tx.exec("SET LOCAL search_path TO " + pool_->schema() + ", public");
      auto state = run_work(tx, work, what);
      if (!state)
        return std::move(state.error());
      put_state(tx, state_row{entity_type, entity_id, std::move(*state)});
      return {};
    });
  }

  caf::expected<std::vector<state_row>>
  list_states(const std::string& entity_type_prefix, size_t limit) override {
    if (limit == 0)
      return std::vector<state_row>{};
    return read("list states of entity types starting with "
                  + printable(entity_type_prefix),
                [&](tx_ref tx, attempt_ref)
                  -> caf::expected<std::vector<state_row>> {
                  auto end = after_prefix(entity_type_prefix);
                  auto res = end ? tx.exec_prepared("ms_states_between",
                                                    as_bytea(entity_type_prefix),
                                                    as_bytea(*end),
                                                    clamp_limit(limit))
                                 : tx.exec_prepared("ms_states_from",
                                                    as_bytea(entity_type_prefix),
                                                    clamp_limit(limit));
                  std::vector<state_row> result;
                  for (const auto& r : res)
                    result.push_back(state_row{bytes_of(r[0]), bytes_of(r[1]),
                                               bytes_of(r[2])});
                  return result;
                });
  }

  caf::error purge_entity(const std::string& entity_type,
                          const std::string& entity_id) override {
    return write("purge " + entity_name(entity_type, entity_id),
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   for (auto name : {"ms_purge_replies", "ms_purge_requests",
                                     "ms_purge_state"})
                     tx.exec_prepared(name, as_bytea(entity_type),
                                      as_bytea(entity_id));
                   return {};
                 });
  }

  caf::expected<size_t>
  expire_processed(int64_t now_ms, int64_t default_retention_ms,
                   const std::vector<retention_rule>& rules,
                   size_t limit) override {
    if (auto err = internal::check_expire(limit))
      return err;
    internal::retention_table retention{now_ms, default_retention_ms, rules};
    return write("expire up to " + count_of(limit, "processed requests"),
                 [&](tx_ref tx, attempt_ref) -> caf::expected<size_t> {
                   return internal::expire_postgres_messages(
                     tx, retention, now_ms, default_retention_ms, limit);
                 });
  }

  caf::expected<std::vector<table_size>> table_sizes() override {
    return read("read table sizes",
                [&](tx_ref tx,
                    attempt_ref) -> caf::expected<std::vector<table_size>> {
                  return internal::postgres_message_table_sizes(
                    tx, pool_->schema());
                });
  }

private:
  template <class F>
  auto write(const std::string& what, F f)
    -> decltype(f(std::declval<tx_ref>(), std::declval<attempt_ref>())) {
    return internal::run_postgres(*pool_, what, true, std::move(f));
  }

  template <class F>
  auto read(const std::string& what, F f)
    -> decltype(f(std::declval<tx_ref>(), std::declval<attempt_ref>())) {
    return internal::run_postgres(*pool_, what, false, std::move(f));
  }

  // Runs the caller's work inside the open transaction. A standard
  // exception that is not libpqxx's becomes an error naming it (libpqxx's
  // reach the retry loop: a broken connection or a deadlock is retried);
  // anything else becomes an error too, so that it never unwinds through
  // the driver's callers.
  caf::expected<std::string> run_work(tx_ref tx, const state_work& work,
                                      const std::string& what) {
    sql_transaction handle{tx};
    try {
      return work(handle);
    } catch (const pqxx::failure&) {
      throw;
    } catch (const std::exception& ex) {
      return caf::make_error(errc::io_error, what + " on PostgreSQL at "
                                               + pool_->name() + ": "
                                               + ex.what());
    } catch (...) {
      return caf::make_error(errc::io_error,
                             what + " on PostgreSQL at " + pool_->name()
                               + ": the work threw a non-standard exception");
    }
  }

  // Locks the epoch rows of `shards` FOR SHARE and returns their epochs
  // (0 for a shard never asked for).
  std::map<std::string, int64_t>
  fence_epochs(tx_ref tx, const std::vector<std::string>& shards) {
    std::map<std::string, int64_t> result;
    for (const auto& r : tx.exec_prepared("ms_fence_epochs", hex_array(shards)))
      result.emplace(bytes_of(r[0]), r[1].as<int64_t>());
    return result;
  }

  std::optional<int64_t> request_id_of(tx_ref tx, const request_row& row) {
    auto res = tx.exec_prepared("ms_find_key", as_bytea(row.primary_key),
                                as_bytea(row.entity_type),
                                as_bytea(row.entity_id));
    if (res.empty())
      return std::nullopt;
    return res[0][0].as<int64_t>();
  }

  caf::expected<std::vector<save_outcome>>
  do_save_requests(tx_ref tx, attempt_ref a,
                   const std::vector<request_row>& rows) {
    std::vector<save_outcome> result;
    result.reserve(rows.size());
    for (const auto& row : rows) {
      // Rows stored earlier in this transaction are found here, too.
      auto original = request_id_of(tx, row);
      if (!original) {
        pqxx::result res;
        try {
          res = tx.exec_prepared(
            "ms_insert_request", row.request_id, as_bytea(row.entity_type),
            as_bytea(row.entity_id), as_bytea(row.shard), as_bytea(row.tag),
            as_bytea(row.payload), as_bytea(row.headers),
            as_bytea(row.primary_key), row.deliver_at_ms, row.claimed_at_ms);
        } catch (const pqxx::unique_violation&) {
          // The key is free (ON CONFLICT), so only the id can collide; the
          // transaction is aborted and rolls back.
          return internal::request_id_taken(row);
        }
        if (!res.empty()) {
          result.push_back(save_outcome{false, row.request_id, std::nullopt});
          continue;
        }
        // Another transaction stored the key meanwhile and committed.
        original = request_id_of(tx, row);
        if (!original)
          return caf::make_error(errc::io_error,
                                 "the key of " + entity_name(row.entity_type,
                                                             row.entity_id)
                                   + " vanished while saving a request");
      }
      // After a commit of unknown fate, our own row may be the original.
      if (a.maybe_committed && *original == row.request_id) {
        result.push_back(save_outcome{false, row.request_id, std::nullopt});
        continue;
      }
      result.push_back(save_outcome{true, *original, reply_of(tx, *original)});
    }
    return result;
  }

  caf::expected<std::vector<caf::error>>
  do_save_replies(tx_ref tx, attempt_ref a,
                  const std::vector<reply_write>& writes) {
    std::set<std::string> shards;
    for (const auto& w : writes)
      shards.insert(w.by.shard);
    auto epochs = fence_epochs(tx, {shards.begin(), shards.end()});
    std::vector<caf::error> result;
    result.reserve(writes.size());
    for (const auto& w : writes)
      result.push_back(do_save_reply(tx, a, w, epochs[w.by.shard]));
    return result;
  }

  caf::error do_save_reply(tx_ref tx, attempt_ref a, const reply_write& write,
                           int64_t epoch) {
    auto id = write.reply.request_id;
    // Locked: two runners replying at once queue here, and the second sees
    // the first's reply.
    auto res = tx.exec_prepared("ms_lock_request", id);
    std::optional<request_row> stored;
    if (!res.empty()) {
      stored.emplace();
      stored->request_id = id;
      stored->entity_type = bytes_of(res[0][0]);
      stored->entity_id = bytes_of(res[0][1]);
      stored->shard = bytes_of(res[0][2]);
      stored->processed = res[0][3].as<bool>();
    }
    // After a commit of unknown fate, finding our own reply means it was
    // stored then.
    if (a.maybe_committed && stored && stored->processed
        && stored->shard == write.by.shard && reply_of(tx, id) == write.reply)
      return {};
    if (auto err = internal::check_reply(write, epoch,
                                         stored ? &*stored : nullptr))
      return err;
    tx.exec_prepared("ms_insert_reply", id, write.reply.ok,
                     as_bytea(write.reply.payload));
    tx.exec_prepared("ms_mark_processed", id, write.processed_at_ms);
    if (write.state)
      put_state(tx, *write.state);
    return {};
  }

  std::optional<reply_row> reply_of(tx_ref tx, int64_t request_id) {
    auto res = tx.exec_prepared("ms_reply", request_id);
    if (res.empty())
      return std::nullopt;
    return reply_row{request_id, res[0][0].as<bool>(), bytes_of(res[0][1])};
  }

  void put_state(tx_ref tx, const state_row& state) {
    tx.exec_prepared("ms_put_state", as_bytea(state.entity_type),
                     as_bytea(state.entity_id), as_bytea(state.payload));
  }

  std::shared_ptr<internal::postgres_pool> pool_;
};

} // namespace

namespace internal {

std::unique_ptr<message_driver>
make_postgres_message_driver(std::shared_ptr<postgres_pool> pool) {
  return std::make_unique<postgres_message_driver>(std::move(pool));
}

} // namespace internal

caf::expected<std::unique_ptr<message_driver>>
make_postgres_message_driver(std::string_view uri, bool create_missing) {
  auto parsed = parse_storage_uri(uri);
  if (!parsed)
    return std::move(parsed.error());
  if (parsed->type != storage_uri::kind::postgresql)
    return caf::make_error(errc::invalid_uri,
                           "not a PostgreSQL location: " + to_string(*parsed));
  auto pool = internal::open_postgres_pool(parsed->postgres, create_missing);
  if (!pool)
    return std::move(pool.error());
  return internal::make_postgres_message_driver(std::move(*pool));
}

} // namespace caf_cluster::storage
