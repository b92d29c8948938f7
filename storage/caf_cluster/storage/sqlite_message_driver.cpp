#include "caf_cluster/storage/sqlite_message_driver.hpp"

#include <limits>
#include <mutex>
#include <optional>
#include <utility>

#include <sqlite3.h>

#include <SQLiteCpp/Exception.h>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/error_text.hpp"
#include "caf_cluster/storage/internal/message_rules.hpp"
#include "caf_cluster/storage/internal/retention_rules.hpp"
#include "caf_cluster/storage/internal/sqlite_database.hpp"
#include "caf_cluster/storage/internal/sqlite_message_retention.hpp"
#include "caf_cluster/storage/internal/sqlite_message_schema.hpp"
#include "caf_cluster/storage/internal/sqlite_runner_schema.hpp"
#include "caf_cluster/storage/internal/sqlite_transaction.hpp"
#include "caf_cluster/storage/sql_transaction.hpp"

namespace caf_cluster::storage {

namespace {

using internal::after_prefix;
using internal::clamp_limit;
using internal::count_of;
using internal::entity_name;
using internal::statement_scope;

// Payloads are bytes, not text: SQLite would otherwise be free to treat them
// as UTF-8. The bytes are copied by SQLite (SQLITE_TRANSIENT).
void bind_blob(const statement_scope& stmt, int index,
               const std::string& bytes) {
  stmt->bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

std::string blob_of(const SQLite::Column& column) {
  auto size = column.getBytes();
  if (size == 0)
    return {};
  return std::string{static_cast<const char*>(column.getBlob()),
                     static_cast<size_t>(size)};
}

// A request from the first nine columns of a select (see
// `select_claimable`).
request_row request_of(const statement_scope& stmt) {
  request_row row;
  row.request_id = stmt->getColumn(0).getInt64();
  row.entity_type = stmt->getColumn(1).getString();
  row.entity_id = stmt->getColumn(2).getString();
  row.shard = stmt->getColumn(3).getString();
  row.tag = stmt->getColumn(4).getString();
  row.payload = blob_of(stmt->getColumn(5));
  row.headers = blob_of(stmt->getColumn(6));
  row.primary_key = stmt->getColumn(7).getString();
  row.deliver_at_ms = stmt->getColumn(8).getInt64();
  return row;
}

class sqlite_message_driver : public message_driver {
public:
  explicit sqlite_message_driver(std::unique_ptr<SQLite::Database> db)
    : db_(std::move(db)) {
    internal::create_shard_list_table(*db_);
    st_ = std::make_unique<internal::message_statements>(*db_);
  }

  caf::expected<std::vector<save_outcome>>
  save_requests(const std::vector<request_row>& rows) override {
    if (auto err = internal::check_requests(rows))
      return err;
    if (rows.empty())
      return std::vector<save_outcome>{};
    return write("save " + count_of(rows.size(), "requests"),
                 [&]() -> caf::expected<std::vector<save_outcome>> {
                   return do_save_requests(rows);
                 });
  }

  caf::expected<std::vector<caf::error>>
  save_replies(const std::vector<reply_write>& writes) override {
    if (writes.empty())
      return std::vector<caf::error>{};
    return write("save " + count_of(writes.size(), "replies"),
                 [&]() -> caf::expected<std::vector<caf::error>> {
                   std::vector<caf::error> result;
                   result.reserve(writes.size());
                   for (const auto& write : writes)
                     result.push_back(do_save_reply(write));
                   return result;
                 });
  }

  batch_outcome save_batch(const std::vector<request_row>& rows,
                           const std::vector<reply_write>& writes) override {
    if (rows.empty() || writes.empty() || internal::check_requests(rows))
      return message_driver::save_batch(rows, writes);
    using both = std::pair<std::vector<save_outcome>, std::vector<caf::error>>;
    auto done = write("save " + count_of(rows.size(), "requests") + " and "
                        + count_of(writes.size(), "replies"),
                      [&]() -> caf::expected<both> {
                        auto saved = do_save_requests(rows);
                        if (!saved)
                          return std::move(saved.error());
                        std::vector<caf::error> results;
                        results.reserve(writes.size());
                        for (const auto& write : writes)
                          results.push_back(do_save_reply(write));
                        return both{std::move(*saved), std::move(results)};
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
                [&]() -> caf::expected<std::optional<reply_row>> {
                  return reply_of(request_id);
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
                 [&]() -> caf::expected<std::vector<request_row>> {
                   return do_claim(shards, now_ms, claim_ms, limit);
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
                [&]() -> caf::expected<std::vector<request_row>> {
                  statement_scope stmt{st_->select_for_entity};
                  stmt->bind(1, entity_type);
                  stmt->bind(2, entity_id);
                  stmt->bind(3, now_ms);
                  stmt->bind(4, clamp_limit(limit));
                  std::vector<request_row> result;
                  while (stmt->executeStep()) {
                    result.push_back(request_of(stmt));
                    auto claimed = stmt->getColumn(9);
                    if (!claimed.isNull())
                      result.back().claimed_at_ms = claimed.getInt64();
                  }
                  return result;
                });
  }

  caf::error reset_claims(const std::vector<std::string>& shards) override {
    if (shards.empty())
      return {};
    return write("reset claims of " + count_of(shards.size(), "shards"),
                 [&]() -> caf::error {
                   list_shards(shards);
                   statement_scope stmt{st_->reset_claims};
                   stmt->exec();
                   return {};
                 });
  }

  caf::expected<std::optional<std::string>>
  load_state(const std::string& entity_type,
             const std::string& entity_id) override {
    return read("load state of " + entity_name(entity_type, entity_id),
                [&]() -> caf::expected<std::optional<std::string>> {
                  statement_scope stmt{st_->select_state};
                  stmt->bind(1, entity_type);
                  stmt->bind(2, entity_id);
                  if (!stmt->executeStep())
                    return std::optional<std::string>{};
                  return std::optional<std::string>{
                    blob_of(stmt->getColumn(0))};
                });
  }

  caf::error save_state(const state_row& state, const fence& by) override {
    if (auto err = internal::check_state(state, by))
      return err;
    return write("save state of "
                   + entity_name(state.entity_type, state.entity_id),
                 [&]() -> caf::error {
                   if (auto err = internal::check_fence(by, epoch_of(by.shard)))
                     return err;
                   put_state(state);
                   return {};
                 });
  }

  caf::expected<std::vector<pending_count>> pending_counts() override {
    return read("count pending requests",
                [&]() -> caf::expected<std::vector<pending_count>> {
                  std::vector<pending_count> result;
                  statement_scope stmt{st_->count_pending};
                  while (stmt->executeStep())
                    result.push_back(
                      pending_count{stmt->getColumn(0).getString(),
                                    stmt->getColumn(1).getString(),
                                    stmt->getColumn(2).getInt64(),
                                    stmt->getColumn(3).getInt64()});
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
    return write(what, [&]() -> caf::error {
      if (auto err = internal::check_fence(by, epoch_of(by.shard)))
        return err;
      auto state = run_work(work, what);
      if (!state)
        return std::move(state.error());
      put_state(state_row{entity_type, entity_id, std::move(*state)});
      return {};
    });
  }

  caf::expected<std::vector<state_row>>
  list_states(const std::string& entity_type_prefix, size_t limit) override {
    if (limit == 0)
      return std::vector<state_row>{};
    return read("list states of entity types starting with "
                  + printable(entity_type_prefix),
                [&]() -> caf::expected<std::vector<state_row>> {
                  statement_scope stmt{st_->select_states};
                  stmt->bind(1, entity_type_prefix);
                  if (auto end = after_prefix(entity_type_prefix))
                    stmt->bind(2, *end);
                  else
                    // Any blob sorts after every text: no upper bound.
                    stmt->bind(2, static_cast<const void*>(""), 0);
                  stmt->bind(3, clamp_limit(limit));
                  std::vector<state_row> result;
                  while (stmt->executeStep())
                    result.push_back(state_row{stmt->getColumn(0).getString(),
                                               stmt->getColumn(1).getString(),
                                               blob_of(stmt->getColumn(2))});
                  return result;
                });
  }

  caf::error purge_entity(const std::string& entity_type,
                          const std::string& entity_id) override {
    return write(
      "purge " + entity_name(entity_type, entity_id), [&]() -> caf::error {
        std::vector<int64_t> ids;
        {
          statement_scope stmt{st_->select_entity_requests};
          stmt->bind(1, entity_type);
          stmt->bind(2, entity_id);
          while (stmt->executeStep())
            ids.push_back(stmt->getColumn(0).getInt64());
        }
        for (auto id : ids)
          for (auto* st : {&st_->delete_reply, &st_->delete_request}) {
            statement_scope stmt{*st};
            stmt->bind(1, id);
            stmt->exec();
          }
        statement_scope stmt{st_->delete_state};
        stmt->bind(1, entity_type);
        stmt->bind(2, entity_id);
        stmt->exec();
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
                 [&]() -> caf::expected<size_t> {
                   return internal::expire_sqlite_messages(
                     *st_, retention, now_ms, default_retention_ms, limit);
                 });
  }

  caf::expected<std::vector<table_size>> table_sizes() override {
    return read("read table sizes",
                [&]() -> caf::expected<std::vector<table_size>> {
                  return internal::sqlite_message_table_sizes(*db_);
                });
  }

private:
  // Runs the caller's work inside the open transaction. A standard
  // exception reaches `write`, which rolls back and names it; anything
  // else becomes an error here, so that it never unwinds through the
  // driver's callers.
  caf::expected<std::string> run_work(const state_work& work,
                                      const std::string& what) {
    sql_transaction tx{*db_};
    try {
      return work(tx);
    } catch (const std::exception&) {
      throw;
    } catch (...) {
      return caf::make_error(errc::io_error,
                             what + " in " + db_->getFilename()
                               + ": the work threw a non-standard exception");
    }
  }

  template <class F>
  auto write(const std::string& what, F f) -> decltype(f()) {
    return internal::write_transaction(*db_, mtx_, what, std::move(f));
  }

  template <class F>
  auto read(const std::string& what, F f) -> decltype(f()) {
    return internal::read_statement(*db_, mtx_, what, std::move(f));
  }

  // The helpers below run inside `write` or `read`.

  caf::expected<std::vector<save_outcome>>
  do_save_requests(const std::vector<request_row>& rows) {
    std::vector<save_outcome> result;
    result.reserve(rows.size());
    for (const auto& row : rows) {
      // Rows stored earlier in this transaction are found here, too.
      if (auto original = request_id_of(row)) {
        result.push_back(save_outcome{true, *original, reply_of(*original)});
        continue;
      }
      statement_scope stmt{st_->insert_request};
      stmt->bind(1, row.request_id);
      stmt->bind(2, row.entity_type);
      stmt->bind(3, row.entity_id);
      stmt->bind(4, row.shard);
      stmt->bind(5, row.tag);
      bind_blob(stmt, 6, row.payload);
      bind_blob(stmt, 7, row.headers);
      stmt->bind(8, row.primary_key);
      stmt->bind(9, row.deliver_at_ms);
      if (row.claimed_at_ms > 0)
        stmt->bind(10, row.claimed_at_ms);
      else
        stmt->bind(10);
      try {
        stmt->exec();
      } catch (const SQLite::Exception& ex) {
        // The key is free (checked above), so only the id can collide.
        if (ex.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY)
          return internal::request_id_taken(row);
        throw;
      }
      result.push_back(save_outcome{false, row.request_id, std::nullopt});
    }
    return result;
  }

  caf::error do_save_reply(const reply_write& write) {
    auto id = write.reply.request_id;
    auto stored = owner_of(id);
    if (auto err = internal::check_reply(write, epoch_of(write.by.shard),
                                         stored ? &*stored : nullptr))
      return err;
    {
      statement_scope stmt{st_->insert_reply};
      stmt->bind(1, id);
      stmt->bind(2, write.reply.ok ? 1 : 0);
      bind_blob(stmt, 3, write.reply.payload);
      stmt->exec();
    }
    {
      statement_scope stmt{st_->mark_processed};
      stmt->bind(1, write.processed_at_ms);
      stmt->bind(2, id);
      stmt->exec();
    }
    if (write.state)
      put_state(*write.state);
    return {};
  }

  caf::expected<std::vector<request_row>>
  do_claim(const std::vector<std::string>& shards, int64_t now_ms,
           int64_t claim_ms, size_t limit) {
    list_shards(shards);
    std::vector<request_row> result;
    {
      statement_scope stmt{st_->select_claimable};
      stmt->bind(1, now_ms);
      stmt->bind(2, internal::claim_cutoff(now_ms, claim_ms));
      stmt->bind(3, clamp_limit(limit));
      while (stmt->executeStep()) {
        result.push_back(request_of(stmt));
        result.back().claimed_at_ms = now_ms;
      }
    }
    for (const auto& row : result) {
      statement_scope stmt{st_->update_claim};
      stmt->bind(1, now_ms);
      stmt->bind(2, row.request_id);
      stmt->exec();
    }
    return result;
  }

  void list_shards(const std::vector<std::string>& shards) {
    {
      statement_scope stmt{st_->clear_shard_list};
      stmt->exec();
    }
    for (const auto& shard : shards) {
      statement_scope stmt{st_->insert_shard_list};
      stmt->bind(1, shard);
      stmt->exec();
    }
  }

  std::optional<int64_t> request_id_of(const request_row& row) {
    statement_scope stmt{st_->select_request_id};
    stmt->bind(1, row.entity_type);
    stmt->bind(2, row.entity_id);
    stmt->bind(3, row.primary_key);
    if (!stmt->executeStep())
      return std::nullopt;
    return stmt->getColumn(0).getInt64();
  }

  // Reads only the fields that `check_reply` looks at.
  std::optional<request_row> owner_of(int64_t request_id) {
    statement_scope stmt{st_->select_request_owner};
    stmt->bind(1, request_id);
    if (!stmt->executeStep())
      return std::nullopt;
    request_row row;
    row.request_id = request_id;
    row.entity_type = stmt->getColumn(0).getString();
    row.entity_id = stmt->getColumn(1).getString();
    row.shard = stmt->getColumn(2).getString();
    row.processed = stmt->getColumn(3).getInt() != 0;
    return row;
  }

  std::optional<reply_row> reply_of(int64_t request_id) {
    statement_scope stmt{st_->select_reply};
    stmt->bind(1, request_id);
    if (!stmt->executeStep())
      return std::nullopt;
    return reply_row{request_id, stmt->getColumn(0).getInt() != 0,
                     blob_of(stmt->getColumn(1))};
  }

  int64_t epoch_of(const std::string& shard) {
    statement_scope stmt{st_->select_epoch};
    stmt->bind(1, shard);
    return stmt->executeStep() ? stmt->getColumn(0).getInt64() : int64_t{0};
  }

  void put_state(const state_row& state) {
    statement_scope stmt{st_->upsert_state};
    stmt->bind(1, state.entity_type);
    stmt->bind(2, state.entity_id);
    bind_blob(stmt, 3, state.payload);
    stmt->exec();
  }

  // Destroyed in reverse order: statements before their connection.
  std::mutex mtx_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<internal::message_statements> st_;
};

} // namespace

caf::expected<std::unique_ptr<message_driver>>
make_sqlite_message_driver(const std::string& path, sqlite_options opts) {
  // Fencing reads the runner tables, which must exist even when no runner
  // opened this file yet (e.g. for `cluster-ctl pending`).
  if (auto runners = internal::open_sqlite_database(
        path, opts, internal::runner_history_table,
        internal::runner_migrations());
      !runners)
    return runners.error();
  opts.check_integrity = false; // checked by the connection above
  return internal::make_sqlite_driver<message_driver, sqlite_message_driver>(
    path, internal::open_sqlite_database(path, opts,
                                         internal::message_history_table,
                                         internal::message_migrations()));
}

} // namespace caf_cluster::storage
