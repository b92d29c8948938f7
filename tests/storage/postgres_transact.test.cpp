// PostgreSQL specifics of message storage: the caller's SQL work committed
// with an entity's state in one transaction (`transact_state` through
// `sql_transaction::postgres()`), and retention and table sizes on the
// server's own statistics.
#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/transaction_base>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/storage/sql_transaction.hpp"

#include "storage/message_rows_io.hpp"
#include "storage/postgres_server.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::message_of;

namespace {

using strings = std::vector<std::string>;

cluster_storage opened(const std::string& uri) {
  auto both = open_cluster_storage(uri);
  REQUIRE_MESSAGE(both, message_of(both.error()));
  return std::move(*both);
}

/// Work that records `entry` in the caller's own table `ledger` (unqualified:
/// it lands in the cluster's schema) and returns `state`.
message_driver::state_work ledger_work(std::string entry, std::string state,
                                       int* runs) {
  return [=](sql_transaction& tx) -> caf::expected<std::string> {
    ++*runs;
    CHECK(tx.is_postgres());
    CHECK_FALSE(tx.is_sqlite());
    auto& pg = tx.postgres();
    pg.exec("CREATE TABLE IF NOT EXISTS ledger (n serial, entry text)");
    pg.exec_params("INSERT INTO ledger (entry) VALUES ($1)", entry);
    return state;
  };
}

strings ledger(const test::postgres_schema& schema) {
  auto exists = schema.query("SELECT count(*) FROM pg_tables WHERE schemaname"
                             " = '"
                             + schema.name() + "' AND tablename = 'ledger'");
  if (exists.front() == "0")
    return {};
  return schema.query("SELECT entry FROM ledger ORDER BY n");
}

std::optional<std::string> state_of(message_driver& d, const std::string& id) {
  auto result = d.load_state("workflow/orders", id);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

request_row request(int64_t id, std::string type) {
  request_row row;
  row.request_id = id;
  row.entity_type = std::move(type);
  row.entity_id = "e";
  row.shard = "default:1";
  row.tag = "t";
  row.payload = std::string(100, 'x');
  row.primary_key = std::to_string(id);
  return row;
}

void reply(message_driver& d, int64_t id, int64_t at) {
  auto result = d.save_replies({reply_write{
    reply_row{id, true, "r"}, fence{"default:1", 0}, std::nullopt, at}});
  REQUIRE_MESSAGE(result, message_of(result.error()));
  REQUIRE_MESSAGE(!result->front(), message_of(result->front()));
}

} // namespace

TEST_SUITE("storage.postgres_transact") {

TEST_CASE("transact_state on PostgreSQL commits the work's rows and the state "
          "together") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  int runs = 0;
  auto err = s.messages->transact_state(fence{"default:1", 0},
                                        "workflow/orders", "e-1",
                                        ledger_work("charge 1", "journal 1",
                                                    &runs));
  REQUIRE_MESSAGE(!err, message_of(err));
  CHECK_EQ(runs, 1);
  CHECK_EQ(ledger(schema), strings{"charge 1"});
  CHECK_EQ(state_of(*s.messages, "e-1"), "journal 1");
  err = s.messages->transact_state(fence{"default:1", 0}, "workflow/orders",
                                   "e-1",
                                   ledger_work("charge 2",
                                               std::string{"j\0 2", 4},
                                               &runs));
  REQUIRE_MESSAGE(!err, message_of(err));
  CHECK_EQ(ledger(schema), (strings{"charge 1", "charge 2"}));
  // A fresh pool reads what was committed.
  auto again = opened(schema.uri());
  CHECK_EQ(state_of(*again.messages, "e-1"), std::string{"j\0 2", 4});
}

// What the workflow engine does around an activity_in_transaction: a
// savepoint through sql_transaction::execute, rolled back when the activity
// fails, keeps the transaction's other writes.
TEST_CASE("savepoints through sql_transaction::execute on PostgreSQL roll "
          "back only their own writes") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  int runs = 0;
  auto work = [&](sql_transaction& tx) -> caf::expected<std::string> {
    ledger_work("before", "journal", &runs)(tx);
    tx.execute("SAVEPOINT wf_activity");
    ledger_work("failed activity", "journal", &runs)(tx);
    tx.execute("ROLLBACK TO wf_activity");
    tx.execute("RELEASE wf_activity");
    tx.execute("SAVEPOINT wf_activity");
    ledger_work("activity", "journal", &runs)(tx);
    tx.execute("RELEASE wf_activity");
    return std::string{"journal"};
  };
  auto err = s.messages->transact_state(fence{"default:1", 0},
                                        "workflow/orders", "e-1", work);
  REQUIRE_MESSAGE(!err, message_of(err));
  CHECK_EQ(ledger(schema), (strings{"before", "activity"}));
  CHECK_EQ(state_of(*s.messages, "e-1"), "journal");
  // A failing statement surfaces as the backend's exception.
  auto bad = [&](sql_transaction& tx) -> caf::expected<std::string> {
    tx.execute("RELEASE no_such_savepoint");
    return std::string{"never"};
  };
  err = s.messages->transact_state(fence{"default:1", 0}, "workflow/orders",
                                   "e-1", bad);
  CHECK(err);
  CHECK_EQ(state_of(*s.messages, "e-1"), "journal");
}

TEST_CASE("a failing or throwing work on PostgreSQL keeps nothing") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  int runs = 0;
  REQUIRE(!s.messages->transact_state(fence{"default:1", 0},
                                      "workflow/orders", "e-1",
                                      ledger_work("kept", "before", &runs)));
  auto failing = [&](sql_transaction& tx) -> caf::expected<std::string> {
    ledger_work("lost", "after", &runs)(tx);
    return caf::make_error(errc::invalid_argument, "card declined");
  };
  auto err = s.messages->transact_state(fence{"default:1", 0},
                                        "workflow/orders", "e-1", failing);
  CHECK(err == errc::invalid_argument);
  CHECK_EQ(message_of(err), "card declined");
  auto throwing = [&](sql_transaction& tx) -> caf::expected<std::string> {
    ledger_work("lost", "after", &runs)(tx);
    throw std::runtime_error("gateway timed out");
  };
  err = s.messages->transact_state(fence{"default:1", 0}, "workflow/orders",
                                   "e-1", throwing);
  CHECK(err == errc::io_error);
  auto loc = parse_storage_uri(schema.uri());
  REQUIRE(loc);
  auto server = loc->postgres.user + "@" + loc->postgres.host + ":"
                + std::to_string(loc->postgres.port) + "/"
                + loc->postgres.database;
  CHECK_EQ(message_of(err), "transact state of workflow/orders/e-1 on "
                            "PostgreSQL at "
                              + server + ": gateway timed out");
  auto odd = [&](sql_transaction& tx) -> caf::expected<std::string> {
    ledger_work("lost", "after", &runs)(tx);
    throw 42;
  };
  err = s.messages->transact_state(fence{"default:1", 0}, "workflow/orders",
                                   "e-1", odd);
  CHECK(err == errc::io_error);
  CHECK_EQ(message_of(err), "transact state of workflow/orders/e-1 on "
                            "PostgreSQL at "
                              + server
                              + ": the work threw a non-standard exception");
  // SQLite's accessor on PostgreSQL: refused, rolled back.
  err = s.messages->transact_state(
    fence{"default:1", 0}, "workflow/orders", "e-1",
    [&](sql_transaction& tx) -> caf::expected<std::string> {
      ledger_work("lost", "after", &runs)(tx);
      tx.database();
      return std::string{"after"};
    });
  CHECK(err == errc::io_error);
  // A failing SQL statement of the work: the server's message, rolled back.
  err = s.messages->transact_state(
    fence{"default:1", 0}, "workflow/orders", "e-1",
    [&](sql_transaction& tx) -> caf::expected<std::string> {
      ledger_work("lost", "after", &runs)(tx);
      tx.postgres().exec("INSERT INTO no_such_table VALUES (1)");
      return std::string{"after"};
    });
  CHECK(err == errc::io_error);
  CHECK(message_of(err).find("no_such_table") != std::string::npos);
  CHECK_EQ(runs, 6);
  CHECK_EQ(ledger(schema), strings{"kept"});
  CHECK_EQ(state_of(*s.messages, "e-1"), "before");
}

TEST_CASE("a fenced transact_state on PostgreSQL runs no work") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  REQUIRE(s.runners->acquire("a:1", {"default:1"}, 0, 1000));
  REQUIRE(!s.runners->release("a:1", {"default:1"}));
  REQUIRE(s.runners->acquire("b:1", {"default:1"}, 0, 1000));
  int runs = 0;
  auto err = s.messages->transact_state(fence{"default:1", 1},
                                        "workflow/orders", "e-1",
                                        ledger_work("stale", "stale", &runs));
  CHECK(err == errc::fenced);
  CHECK_EQ(message_of(err),
           "shard default:1 has epoch 2, newer than the writer's epoch 1");
  CHECK_EQ(runs, 0);
  err = s.messages->transact_state(fence{"default:1", 2}, "workflow/orders",
                                   "e-1", ledger_work("fresh", "fresh", &runs));
  REQUIRE_MESSAGE(!err, message_of(err));
  CHECK_EQ(ledger(schema), strings{"fresh"});
}

TEST_CASE("retention on PostgreSQL: stamp, per-type rules, limit, oldest "
          "first") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  auto& d = *s.messages;
  std::vector<request_row> rows;
  for (int64_t id = 1; id <= 6; ++id)
    rows.push_back(request(id, id <= 4 ? "Counter" : "Cron"));
  rows.push_back(request(7, "Counter")); // stays unprocessed
  REQUIRE(d.save_requests(rows));
  reply(d, 1, 1000);
  reply(d, 2, 2000);
  reply(d, 3, 0); // unstamped
  reply(d, 4, 9000);
  reply(d, 5, 1000);
  reply(d, 6, 1000);
  std::vector<retention_rule> rules{{"Cron", -1}};
  // At 10'000 with a retention of 5'000: 3 is stamped, 1 and 2 are due
  // (oldest first), 4 is not yet, Cron is kept for ever. A limit of 2 takes
  // the stamp and request 1.
  auto n = d.expire_processed(10'000, 5'000, rules, 2);
  REQUIRE_MESSAGE(n, message_of(n.error()));
  CHECK_EQ(*n, 2u);
  CHECK_EQ(schema.query("SELECT request_id FROM cluster_requests ORDER BY 1"),
           (strings{"2", "3", "4", "5", "6", "7"}));
  CHECK_EQ(schema.query("SELECT processed_at_ms FROM cluster_requests"
                        " WHERE request_id = 3"),
           strings{"10000"});
  n = d.expire_processed(10'000, 5'000, rules, 100);
  REQUIRE(n);
  CHECK_EQ(*n, 1u);
  CHECK_EQ(schema.query("SELECT request_id FROM cluster_requests ORDER BY 1"),
           (strings{"3", "4", "5", "6", "7"}));
  CHECK_EQ(schema.query("SELECT request_id FROM cluster_replies ORDER BY 1"),
           (strings{"3", "4", "5", "6"}));
  // Later, all Counter rows but the unprocessed one are gone.
  n = d.expire_processed(15'000, 5'000, rules, 100);
  REQUIRE(n);
  CHECK_EQ(*n, 2u);
  CHECK_EQ(schema.query("SELECT request_id FROM cluster_requests ORDER BY 1"),
           (strings{"5", "6", "7"}));
  // A key expired is free again: the same key is stored as new.
  auto again = d.save_requests({request(11, "Counter")});
  REQUIRE(again);
  auto dup_key = request(12, "Counter");
  dup_key.primary_key = "1";
  auto fresh = d.save_requests({dup_key});
  REQUIRE(fresh);
  CHECK_FALSE(fresh->front().duplicate);
  // A retention at the int64 limit does not overflow.
  n = d.expire_processed(15'000, std::numeric_limits<int64_t>::max(), {}, 10);
  REQUIRE_MESSAGE(n, message_of(n.error()));
  CHECK_EQ(*n, 0u);
  auto zero = d.expire_processed(15'000, 5'000, rules, 0);
  REQUIRE(!zero);
  CHECK(zero.error() == errc::invalid_argument);
}

TEST_CASE("table sizes on PostgreSQL count rows and bytes") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  auto& d = *s.messages;
  REQUIRE(d.save_requests({request(1, "Counter"), request(2, "Counter")}));
  reply(d, 1, 5);
  REQUIRE(!d.save_state(state_row{"Counter", "e", "s"}, fence{"default:1", 0}));
  auto sizes = d.table_sizes();
  REQUIRE_MESSAGE(sizes, message_of(sizes.error()));
  REQUIRE_EQ(sizes->size(), 3u);
  CHECK_EQ((*sizes)[0].table, "cluster_entity_states");
  CHECK_EQ((*sizes)[0].rows, 1);
  CHECK_EQ((*sizes)[1].table, "cluster_replies");
  CHECK_EQ((*sizes)[1].rows, 1);
  CHECK_EQ((*sizes)[2].table, "cluster_requests");
  CHECK_EQ((*sizes)[2].rows, 2);
  for (const auto& x : *sizes)
    CHECK_GT(x.bytes, 0);
}

} // TEST_SUITE
