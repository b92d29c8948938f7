#include "caf_cluster/storage/postgres_runner_driver.hpp"

#include <charconv>
#include <map>
#include <optional>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/internal/postgres_schema.hpp"
#include "caf_cluster/storage/internal/postgres_storage.hpp"
#include "caf_cluster/storage/internal/postgres_transaction.hpp"
#include "caf_cluster/storage/internal/runner_rules.hpp"
#include "caf_cluster/storage/internal/string_list_codec.hpp"

namespace caf_cluster::storage {

namespace {

using internal::acquire_action;
using internal::as_bytea;
using internal::bytes_of;
using internal::hex_array;
using internal::postgres_attempt;
using tx_ref = pqxx::transaction_base&;
using attempt_ref = const internal::postgres_attempt&;

constexpr const char* shards_per_group_key = "shards_per_group";

// Isolation and fencing: every operation runs in one READ COMMITTED
// transaction and locks the rows it decides on before reading them, so a
// decision is always made on the latest committed state and nothing can
// change it before the commit:
// - a grant locks the shard's epoch row (created with epoch 0 on first use)
//   and its lease row FOR UPDATE, in shard order (deadlocks between
//   overlapping grants are then rare, and retried when they happen);
// - a refresh locks the lease rows FOR UPDATE: a grant racing with it waits
//   and then sees the extended lease, or the refresh sees the new holder;
// - a fenced write in message storage locks the epoch row FOR SHARE, so a
//   grant waits until the write committed (it then happened before the
//   grant), or the write sees the new epoch and is refused;
// - registrations (machine ids) and forgets serialize on an advisory lock.
// Row locks were preferred to SERIALIZABLE: claims scan many rows, and
// predicate locks would fail them for rows they never touch.
class postgres_runner_driver : public runner_driver {
public:
  explicit postgres_runner_driver(std::shared_ptr<internal::postgres_pool> pool)
    : pool_(std::move(pool)) {
    // nop
  }

  caf::expected<int32_t> register_runner(const runner_row& runner,
                                         int32_t shards_per_group,
                                         int64_t now_ms,
                                         int64_t lease_ms) override {
    if (auto err = internal::check_registration(runner, shards_per_group,
                                                lease_ms))
      return err;
    return write("register runner " + runner.address,
                 [&](tx_ref tx, attempt_ref) -> caf::expected<int32_t> {
                   return do_register(tx, runner, shards_per_group, now_ms,
                                      lease_ms);
                 });
  }

  caf::error unregister_runner(const std::string& address) override {
    return write("unregister runner " + address,
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   tx.exec_prepared("rs_delete_runner", as_bytea(address));
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
    return read("read runners",
                [&](tx_ref tx, attempt_ref) {
                  return runners_of(tx.exec_prepared("rs_runners"));
                });
  }

  caf::error set_health(const std::string& address, bool healthy) override {
    return write("set health of runner " + address,
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   tx.exec_prepared("rs_update_health", healthy,
                                    as_bytea(address));
                   return {};
                 });
  }

  caf::error request_drain(const std::string& address) override {
    return write("request drain of runner " + address,
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   auto res = tx.exec_prepared("rs_update_drain",
                                               as_bytea(address));
                   if (res.affected_rows() == 0)
                     return internal::unknown_runner(address);
                   return {};
                 });
  }

  caf::error forget_runner(const std::string& address, int64_t now_ms,
                           int64_t lease_ms) override {
    return write("forget runner " + address,
                 [&](tx_ref tx, attempt_ref a) -> caf::error {
                   lock_registry(tx);
                   auto rows = runners_of(
                     tx.exec_prepared("rs_lock_runner", as_bytea(address)));
                   if (!rows)
                     return rows.error();
                   // A commit that may have happened already forgot it.
                   if (rows->empty() && a.maybe_committed)
                     return {};
                   if (auto err = internal::check_forget(
                         rows->empty() ? nullptr : &rows->front(), address,
                         now_ms, lease_ms, max_clock_skew()))
                     return err;
                   tx.exec_prepared("rs_delete_runner", as_bytea(address));
                   tx.exec_prepared("rs_release_all", as_bytea(address));
                   return {};
                 });
  }

  caf::expected<std::vector<lease_grant>>
  acquire(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms) override {
    if (auto err = internal::check_lease_request(runner, lease_ms))
      return err;
    auto unique = internal::without_duplicates(shards);
    if (unique.empty())
      return std::vector<lease_grant>{};
    return write("acquire leases for runner " + runner,
                 [&](tx_ref tx, attempt_ref)
                   -> caf::expected<std::vector<lease_grant>> {
                   return do_acquire(tx, runner, unique, now_ms, lease_ms);
                 });
  }

  caf::expected<std::vector<lease_grant>>
  refresh(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms) override {
    if (auto err = internal::check_lease_request(runner, lease_ms))
      return err;
    auto unique = internal::without_duplicates(shards);
    return write("refresh leases of runner " + runner,
                 [&](tx_ref tx, attempt_ref)
                   -> caf::expected<std::vector<lease_grant>> {
                   return do_refresh(tx, runner, unique, now_ms, lease_ms);
                 });
  }

  caf::error release(const std::string& runner,
                     const std::vector<std::string>& shards) override {
    if (shards.empty())
      return {};
    return write("release leases of runner " + runner,
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   tx.exec_prepared("rs_release", hex_array(shards),
                                    as_bytea(runner));
                   return {};
                 });
  }

  caf::error release_all(const std::string& runner) override {
    return write("release all leases of runner " + runner,
                 [&](tx_ref tx, attempt_ref) -> caf::error {
                   tx.exec_prepared("rs_release_all", as_bytea(runner));
                   return {};
                 });
  }

  caf::expected<std::vector<lease_row>> leases() override {
    return read("read leases",
                [&](tx_ref tx,
                    attempt_ref) -> caf::expected<std::vector<lease_row>> {
                  std::vector<lease_row> result;
                  for (const auto& row : tx.exec_prepared("rs_leases"))
                    result.push_back(lease_of(row));
                  return result;
                });
  }

  caf::expected<int64_t> current_epoch(const std::string& shard) override {
    return read("read epoch of shard " + shard,
                [&](tx_ref tx, attempt_ref) -> caf::expected<int64_t> {
                  auto res = tx.exec_prepared("rs_epoch", as_bytea(shard));
                  return res.empty() ? int64_t{0} : res[0][0].as<int64_t>();
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

  static lease_row lease_of(const pqxx::row& row) {
    return lease_row{bytes_of(row[0]), bytes_of(row[1]), row[2].as<int64_t>(),
                     row[3].as<int64_t>()};
  }

  void lock_registry(tx_ref tx) {
    tx.exec_params("SELECT pg_advisory_xact_lock(1667327341, hashtext($1))",
                   pool_->location().schema);
  }

  static caf::expected<std::vector<runner_row>>
  runners_of(const pqxx::result& res) {
    std::vector<runner_row> result;
    for (const auto& r : res) {
      runner_row row;
      row.address = bytes_of(r[0]);
      row.machine_id = r[1].as<int32_t>();
      row.weight = r[2].as<int32_t>();
      auto encoded = bytes_of(r[3]);
      auto groups = internal::decode_string_list(encoded);
      if (!groups)
        return caf::make_error(errc::corrupt, "runner " + row.address
                                                + " has malformed groups: "
                                                + encoded);
      row.groups = std::move(*groups);
      row.healthy = r[4].as<bool>();
      row.last_heartbeat_ms = r[5].as<int64_t>();
      row.drain_requested = r[6].as<bool>();
      result.push_back(std::move(row));
    }
    return result;
  }

  caf::expected<std::optional<int32_t>> stored_shards_per_group(tx_ref tx) {
    auto res = tx.exec_prepared("rs_meta_get",
                                std::string{shards_per_group_key});
    if (res.empty())
      return std::optional<int32_t>{};
    auto text = res[0][0].as<std::string>();
    int32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                     value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1)
      return caf::make_error(errc::corrupt,
                             "cluster_meta has a malformed shards_per_group: "
                               + text);
    return std::optional<int32_t>{value};
  }

  caf::expected<int32_t> do_register(tx_ref tx, const runner_row& runner,
                                     int32_t shards_per_group, int64_t now_ms,
                                     int64_t lease_ms) {
    lock_registry(tx);
    auto stored = stored_shards_per_group(tx);
    if (!stored)
      return stored.error();
    if (*stored && **stored != shards_per_group)
      return internal::shards_per_group_mismatch(**stored, shards_per_group);
    auto rows = runners_of(tx.exec_prepared("rs_runners"));
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
    if (!*stored)
      tx.exec_prepared("rs_meta_put", std::string{shards_per_group_key},
                       std::to_string(shards_per_group));
    tx.exec_prepared("rs_delete_runner_with_id", *id,
                     as_bytea(runner.address));
    tx.exec_prepared("rs_upsert_runner", as_bytea(runner.address), *id,
                     runner.weight,
                     as_bytea(internal::encode_string_list(runner.groups)),
                     runner.healthy, now_ms);
    return *id;
  }

  caf::expected<std::vector<lease_grant>>
  do_acquire(tx_ref tx, const std::string& runner,
             const std::vector<std::string>& shards, int64_t now_ms,
             int64_t lease_ms) {
    auto list = hex_array(shards);
    tx.exec_prepared("rs_add_epochs", list);
    std::map<std::string, int64_t> epochs;
    for (const auto& row : tx.exec_prepared("rs_lock_epochs", list))
      epochs.emplace(bytes_of(row[0]), row[1].as<int64_t>());
    std::map<std::string, lease_row> current;
    for (const auto& row : tx.exec_prepared("rs_lock_leases", list)) {
      auto lease = lease_of(row);
      current.emplace(lease.shard, std::move(lease));
    }
    std::vector<lease_grant> result;
    std::vector<std::string> extended;
    for (const auto& shard : shards) {
      auto i = current.find(shard);
      const lease_row* held = i != current.end() ? &i->second : nullptr;
      switch (internal::decide_acquire(held, runner, now_ms, lease_ms,
                                       max_clock_skew())) {
        case acquire_action::refuse:
          break;
        case acquire_action::extend:
          extended.push_back(shard);
          result.push_back(lease_grant{shard, held->epoch});
          break;
        case acquire_action::grant: {
          auto epoch = epochs[shard] + 1;
          tx.exec_prepared("rs_set_epoch", as_bytea(shard), epoch);
          tx.exec_prepared("rs_put_lease", as_bytea(shard), as_bytea(runner),
                           epoch, now_ms + lease_ms);
          result.push_back(lease_grant{shard, epoch});
          break;
        }
      }
    }
    if (!extended.empty())
      tx.exec_prepared("rs_extend_leases", hex_array(extended),
                       now_ms + lease_ms);
    return result;
  }

  caf::expected<std::vector<lease_grant>>
  do_refresh(tx_ref tx, const std::string& runner,
             const std::vector<std::string>& shards, int64_t now_ms,
             int64_t lease_ms) {
    tx.exec_prepared("rs_update_heartbeat", now_ms, as_bytea(runner));
    std::vector<lease_grant> result;
    if (shards.empty())
      return result;
    std::map<std::string, lease_row> current;
    for (const auto& row :
         tx.exec_prepared("rs_lock_leases", hex_array(shards))) {
      auto lease = lease_of(row);
      current.emplace(lease.shard, std::move(lease));
    }
    std::vector<std::string> extended;
    for (const auto& shard : shards) {
      auto i = current.find(shard);
      if (i == current.end() || i->second.runner != runner
          || !internal::is_held(i->second.expires_at_ms, now_ms, lease_ms,
                                max_clock_skew()))
        continue;
      extended.push_back(shard);
      result.push_back(lease_grant{shard, i->second.epoch});
    }
    if (!extended.empty())
      tx.exec_prepared("rs_extend_leases", hex_array(extended),
                       now_ms + lease_ms);
    return result;
  }

  std::shared_ptr<internal::postgres_pool> pool_;
};

} // namespace

namespace internal {

caf::expected<std::shared_ptr<postgres_pool>>
open_postgres_pool(const postgres_location& loc, bool create_missing) {
  std::string password;
  if (!loc.password_file.empty()) {
    auto read = read_password_file(loc.password_file);
    if (!read)
      return std::move(read.error());
    password = std::move(*read);
  }
  auto pool = std::make_shared<postgres_pool>(loc,
                                              postgres_conninfo(loc, password));
  if (auto err = migrate_postgres_schema(*pool, create_missing))
    return err;
  // Statements name the tables: prepared only once the tables exist.
  pool->discard_idle();
  auto schema = pool->schema();
  pool->add_setup([schema](pqxx::connection& conn) {
    prepare_postgres_statements(conn, schema);
  });
  return pool;
}

std::unique_ptr<runner_driver>
make_postgres_runner_driver(std::shared_ptr<postgres_pool> pool) {
  return std::make_unique<postgres_runner_driver>(std::move(pool));
}

} // namespace internal

caf::expected<std::unique_ptr<runner_driver>>
make_postgres_runner_driver(std::string_view uri, bool create_missing) {
  auto parsed = parse_storage_uri(uri);
  if (!parsed)
    return std::move(parsed.error());
  if (parsed->type != storage_uri::kind::postgresql)
    return caf::make_error(errc::invalid_uri,
                           "not a PostgreSQL location: " + to_string(*parsed));
  auto pool = internal::open_postgres_pool(parsed->postgres, create_missing);
  if (!pool)
    return std::move(pool.error());
  return internal::make_postgres_runner_driver(std::move(*pool));
}

} // namespace caf_cluster::storage
