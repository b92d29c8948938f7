#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>

#include <SQLiteCpp/Transaction.h>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/internal/runner_rules.hpp"
#include "caf_cluster/storage/internal/sqlite_database.hpp"
#include "caf_cluster/storage/internal/sqlite_transaction.hpp"
#include "caf_cluster/storage/internal/sqlite_runner_schema.hpp"
#include "caf_cluster/storage/internal/string_list_codec.hpp"

namespace caf_cluster::storage {

namespace {

using internal::acquire_action;
using internal::shards_per_group_key;
using internal::statement_scope;

class sqlite_runner_driver : public runner_driver {
public:
  explicit sqlite_runner_driver(std::unique_ptr<SQLite::Database> db)
    : db_(std::move(db)),
      st_(std::make_unique<internal::runner_statements>(*db_)) {
    // nop
  }

  caf::expected<int32_t> register_runner(const runner_row& runner,
                                         int32_t shards_per_group,
                                         int64_t now_ms,
                                         int64_t lease_ms) override {
    if (auto err = internal::check_registration(runner, shards_per_group,
                                                lease_ms))
      return err;
    return write(
      "register runner " + runner.address, [&]() -> caf::expected<int32_t> {
        return do_register(runner, shards_per_group, now_ms, lease_ms);
      });
  }

  caf::error unregister_runner(const std::string& address) override {
    return write("unregister runner " + address, [&]() -> caf::error {
      statement_scope stmt{st_->delete_runner};
      stmt->bind(1, address);
      stmt->exec();
      return {};
    });
  }

  caf::expected<std::vector<runner_row>>
  live_runners(int64_t now_ms, int64_t lease_ms) override {
    auto rows = all_runners();
    if (!rows)
      return rows;
    std::vector<runner_row> result;
    for (auto& row : *rows)
      if (internal::is_live(row.last_heartbeat_ms, now_ms, lease_ms,
                                    max_clock_skew()))
        result.push_back(std::move(row));
    return result;
  }

  caf::expected<std::vector<runner_row>> all_runners() override {
    return read("read runners", [&] {
      return select_runners();
    });
  }

  caf::error set_health(const std::string& address, bool healthy) override {
    return write("set health of runner " + address, [&]() -> caf::error {
      statement_scope stmt{st_->update_health};
      stmt->bind(1, healthy ? 1 : 0);
      stmt->bind(2, address);
      stmt->exec();
      return {};
    });
  }

  caf::error request_drain(const std::string& address) override {
    return write("request drain of runner " + address, [&]() -> caf::error {
      statement_scope stmt{st_->update_drain};
      stmt->bind(1, address);
      if (stmt->exec() == 0)
        return internal::unknown_runner(address);
      return {};
    });
  }

  caf::error forget_runner(const std::string& address, int64_t now_ms,
                           int64_t lease_ms) override {
    return write("forget runner " + address, [&]() -> caf::error {
      auto rows = select_runners();
      if (!rows)
        return rows.error();
      auto i = std::find_if(rows->begin(), rows->end(), [&](auto& row) {
        return row.address == address;
      });
      if (auto err = internal::check_forget(i != rows->end() ? &*i : nullptr,
                                            address, now_ms, lease_ms,
                                          max_clock_skew()))
        return err;
      for (auto* stmt : {&st_->delete_runner, &st_->delete_leases_of}) {
        statement_scope scope{*stmt};
        scope->bind(1, address);
        scope->exec();
      }
      return {};
    });
  }

  caf::expected<std::vector<lease_grant>>
  acquire(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms) override {
    if (auto err = internal::check_lease_request(runner, lease_ms))
      return err;
    return write("acquire leases for runner " + runner,
                 [&]() -> caf::expected<std::vector<lease_grant>> {
                   return do_acquire(runner, shards, now_ms, lease_ms);
                 });
  }

  caf::expected<std::vector<lease_grant>>
  refresh(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms) override {
    if (auto err = internal::check_lease_request(runner, lease_ms))
      return err;
    return write("refresh leases of runner " + runner,
                 [&]() -> caf::expected<std::vector<lease_grant>> {
                   return do_refresh(runner, shards, now_ms, lease_ms);
                 });
  }

  caf::error release(const std::string& runner,
                     const std::vector<std::string>& shards) override {
    return write("release leases of runner " + runner, [&]() -> caf::error {
      for (const auto& shard : shards) {
        statement_scope stmt{st_->delete_lease};
        stmt->bind(1, shard);
        stmt->bind(2, runner);
        stmt->exec();
      }
      return {};
    });
  }

  caf::error release_all(const std::string& runner) override {
    return write("release all leases of runner " + runner, [&]() -> caf::error {
      statement_scope stmt{st_->delete_leases_of};
      stmt->bind(1, runner);
      stmt->exec();
      return {};
    });
  }

  caf::expected<std::vector<lease_row>> leases() override {
    return read("read leases", [&]() -> caf::expected<std::vector<lease_row>> {
      std::vector<lease_row> result;
      statement_scope stmt{st_->select_leases};
      while (stmt->executeStep())
        result.push_back(lease_row{
          stmt->getColumn(0).getString(), stmt->getColumn(1).getString(),
          stmt->getColumn(2).getInt64(), stmt->getColumn(3).getInt64()});
      return result;
    });
  }

  caf::expected<int64_t> current_epoch(const std::string& shard) override {
    return read("read epoch of shard " + shard,
                [&]() -> caf::expected<int64_t> {
                  return epoch_of(shard);
                });
  }

private:
  template <class F>
  auto write(const std::string& what, F f) -> decltype(f()) {
    return internal::write_transaction(*db_, mtx_, what, std::move(f));
  }

  template <class F>
  auto read(const std::string& what, F f) -> decltype(f()) {
    return internal::read_statement(*db_, mtx_, what, std::move(f));
  }

  caf::expected<std::vector<runner_row>> select_runners() {
    std::vector<runner_row> result;
    statement_scope stmt{st_->select_runners};
    while (stmt->executeStep()) {
      runner_row row;
      row.address = stmt->getColumn(0).getString();
      row.machine_id = stmt->getColumn(1).getInt();
      row.weight = stmt->getColumn(2).getInt();
      auto groups = internal::decode_string_list(stmt->getColumn(3).getText());
      if (!groups)
        return caf::make_error(errc::corrupt,
                               "runner " + row.address
                                 + " has malformed groups: "
                                 + stmt->getColumn(3).getText());
      row.groups = std::move(*groups);
      row.healthy = stmt->getColumn(4).getInt() != 0;
      row.last_heartbeat_ms = stmt->getColumn(5).getInt64();
      row.drain_requested = stmt->getColumn(6).getInt() != 0;
      result.push_back(std::move(row));
    }
    return result;
  }

  caf::expected<std::optional<int32_t>> stored_shards_per_group() {
    statement_scope stmt{st_->select_meta};
    stmt->bind(1, shards_per_group_key);
    if (!stmt->executeStep())
      return std::optional<int32_t>{};
    auto text = stmt->getColumn(0).getString();
    int32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                     value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1)
      return caf::make_error(errc::corrupt,
                             "cluster_meta has a malformed shards_per_group: "
                               + text);
    return std::optional<int32_t>{value};
  }

  caf::expected<int32_t> do_register(const runner_row& runner,
                                     int32_t shards_per_group, int64_t now_ms,
                                     int64_t lease_ms) {
    auto stored = stored_shards_per_group();
    if (!stored)
      return stored.error();
    if (*stored && **stored != shards_per_group)
      return internal::shards_per_group_mismatch(**stored, shards_per_group);
    auto rows = select_runners();
    if (!rows)
      return rows.error();
    std::optional<int32_t> previous;
    std::vector<int32_t> taken;
    for (const auto& row : *rows) {
      if (row.address == runner.address)
        previous = row.machine_id;
      else if (internal::is_live(row.last_heartbeat_ms, now_ms, lease_ms,
                                    max_clock_skew()))
        taken.push_back(row.machine_id);
    }
    auto id = internal::pick_machine_id(previous, taken);
    if (!id)
      return id.error();
    if (!*stored) {
      statement_scope stmt{st_->insert_meta};
      stmt->bind(1, shards_per_group_key);
      stmt->bind(2, std::to_string(shards_per_group));
      stmt->exec();
    }
    {
      statement_scope stmt{st_->delete_runner_with_id};
      stmt->bind(1, *id);
      stmt->bind(2, runner.address);
      stmt->exec();
    }
    statement_scope stmt{st_->upsert_runner};
    stmt->bind(1, runner.address);
    stmt->bind(2, *id);
    stmt->bind(3, runner.weight);
    stmt->bind(4, internal::encode_string_list(runner.groups));
    stmt->bind(5, runner.healthy ? 1 : 0);
    stmt->bind(6, now_ms);
    stmt->exec();
    return *id;
  }

  std::optional<lease_row> lease_of(const std::string& shard) {
    statement_scope stmt{st_->select_lease};
    stmt->bind(1, shard);
    if (!stmt->executeStep())
      return std::nullopt;
    return lease_row{shard, stmt->getColumn(0).getString(),
                     stmt->getColumn(1).getInt64(),
                     stmt->getColumn(2).getInt64()};
  }

  int64_t epoch_of(const std::string& shard) {
    statement_scope stmt{st_->select_epoch};
    stmt->bind(1, shard);
    return stmt->executeStep() ? stmt->getColumn(0).getInt64() : int64_t{0};
  }

  void extend(const std::string& shard, int64_t expires_at_ms) {
    statement_scope stmt{st_->extend_lease};
    stmt->bind(1, expires_at_ms);
    stmt->bind(2, shard);
    stmt->exec();
  }

  caf::expected<std::vector<lease_grant>>
  do_acquire(const std::string& runner, const std::vector<std::string>& shards,
             int64_t now_ms, int64_t lease_ms) {
    std::vector<lease_grant> result;
    for (auto& shard : internal::without_duplicates(shards)) {
      auto current = lease_of(shard);
      auto action = internal::decide_acquire(current ? &*current : nullptr,
                                             runner, now_ms, lease_ms,
                                             max_clock_skew());
      switch (action) {
        case acquire_action::refuse:
          break;
        case acquire_action::extend:
          extend(shard, now_ms + lease_ms);
          result.push_back(lease_grant{std::move(shard), current->epoch});
          break;
        case acquire_action::grant: {
          auto epoch = epoch_of(shard) + 1;
          {
            statement_scope stmt{st_->upsert_epoch};
            stmt->bind(1, shard);
            stmt->bind(2, epoch);
            stmt->exec();
          }
          statement_scope stmt{st_->upsert_lease};
          stmt->bind(1, shard);
          stmt->bind(2, runner);
          stmt->bind(3, epoch);
          stmt->bind(4, now_ms + lease_ms);
          stmt->exec();
          result.push_back(lease_grant{std::move(shard), epoch});
          break;
        }
      }
    }
    return result;
  }

  caf::expected<std::vector<lease_grant>>
  do_refresh(const std::string& runner, const std::vector<std::string>& shards,
             int64_t now_ms, int64_t lease_ms) {
    {
      statement_scope stmt{st_->update_heartbeat};
      stmt->bind(1, now_ms);
      stmt->bind(2, runner);
      stmt->exec();
    }
    std::vector<lease_grant> result;
    for (auto& shard : internal::without_duplicates(shards)) {
      auto current = lease_of(shard);
      if (!current || current->runner != runner
          || !internal::is_held(current->expires_at_ms, now_ms, lease_ms,
                               max_clock_skew()))
        continue;
      extend(shard, now_ms + lease_ms);
      result.push_back(lease_grant{std::move(shard), current->epoch});
    }
    return result;
  }

  // Destroyed in reverse order: statements before their connection.
  std::mutex mtx_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<internal::runner_statements> st_;
};

} // namespace

caf::expected<std::unique_ptr<runner_driver>>
make_sqlite_runner_driver(const std::string& path, sqlite_options opts) {
  return internal::make_sqlite_driver<runner_driver, sqlite_runner_driver>(
    path, internal::open_sqlite_database(path, opts,
                                         internal::runner_history_table,
                                         internal::runner_migrations()));
}

} // namespace caf_cluster::storage
