// The message storage operations that durable workflows build on, run against
// every backend: listing durable states by entity type prefix, purging an
// entity with its messages, and running a caller's SQL work in the
// transaction that stores an entity's state (SQLite only; memory refuses).
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/sql_transaction.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "storage/message_backends.hpp"
#include "storage/message_rows_io.hpp"
#include "storage/sqlite_file.hpp"
#include "storage/temp_dir.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::memory_backend;
using caf_cluster::storage::test::message_of;
using caf_cluster::storage::test::postgres_backend;
using caf_cluster::storage::test::sqlite_backend;

namespace {

constexpr int64_t t0 = 10'000;
constexpr int64_t claim = 60'000;
constexpr int64_t lease = 1000;

using states = std::vector<state_row>;
using strings = std::vector<std::string>;

request_row request(int64_t id, std::string type, std::string entity,
                    std::string key) {
  request_row row;
  row.request_id = id;
  row.entity_type = std::move(type);
  row.entity_id = std::move(entity);
  row.shard = "default:1";
  row.tag = "step";
  row.payload = "payload of " + std::to_string(id);
  row.primary_key = std::move(key);
  return row;
}

void save(message_driver& d, const std::vector<request_row>& rows) {
  auto result = d.save_requests(rows);
  REQUIRE_MESSAGE(result, message_of(result.error()));
}

void reply(message_driver& d, int64_t id, std::optional<state_row> state = {}) {
  auto result = d.save_replies(
    {reply_write{reply_row{id, true, "r"}, fence{"default:1", 0}, state}});
  REQUIRE_MESSAGE(result, message_of(result.error()));
  REQUIRE_EQ(result->size(), 1u);
  REQUIRE_MESSAGE(!result->front(), message_of(result->front()));
}

void put(message_driver& d, std::string type, std::string id,
         std::string payload) {
  auto err = d.save_state(state_row{std::move(type), std::move(id),
                                    std::move(payload)},
                          fence{"default:1", 0});
  REQUIRE_MESSAGE(!err, message_of(err));
}

states listed(message_driver& d, const std::string& prefix,
              size_t limit = 100) {
  auto result = d.list_states(prefix, limit);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

std::optional<std::string> state_of(message_driver& d, const std::string& type,
                                    const std::string& id) {
  auto result = d.load_state(type, id);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

std::vector<int64_t> claimed_ids(message_driver& d) {
  auto result = d.claim_unprocessed({"default:1"}, t0, claim, 100);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  std::vector<int64_t> ids;
  for (const auto& row : *result)
    ids.push_back(row.request_id);
  return ids;
}

/// Runner a:1 held default:1 under epoch 1; b:1 holds it now under epoch 2.
void lease_to_b_under_epoch_2(runner_driver& runners) {
  REQUIRE_EQ(runners.acquire("a:1", {"default:1"}, t0, lease)->size(), 1u);
  REQUIRE(!runners.release("a:1", {"default:1"}));
  REQUIRE_EQ(*runners.acquire("b:1", {"default:1"}, t0, lease),
             std::vector<lease_grant>{{"default:1", 2}});
}

/// Work that records `entry` in the caller's own table `ledger` and returns
/// `state` as the entity's new state.
message_driver::state_work ledger_work(std::string entry, std::string state,
                                       int* runs) {
  return [=](sql_transaction& tx) -> caf::expected<std::string> {
    ++*runs;
    auto& db = tx.database();
    db.exec("CREATE TABLE IF NOT EXISTS ledger (entry TEXT NOT NULL)");
    SQLite::Statement insert{db, "INSERT INTO ledger (entry) VALUES (?)"};
    insert.bind(1, entry);
    insert.exec();
    return state;
  };
}

/// The entries of the caller's table, read on a connection of its own.
strings ledger(const sqlite_backend& backend) {
  SQLite::Database db{backend.path(), SQLite::OPEN_READONLY};
  if (!db.tableExists("ledger"))
    return {};
  return test::query(backend.path(), "SELECT entry FROM ledger ORDER BY rowid");
}

} // namespace

TEST_SUITE("storage.message_driver_state") {

  TEST_CASE_TEMPLATE("states list by entity type prefix in type and id order",
                     B, memory_backend, sqlite_backend, postgres_backend) {
    B backend;
    auto d = backend.open();
    put(*d, "workflow/orders", "b", "2");
    put(*d, "workflow/orders", "a", std::string{"\0\xff", 2});
    put(*d, "workflow/billing", "z", "3");
    put(*d, "workflow", "x", "4");  // shorter than the prefix
    put(*d, "workflow0", "x", "5"); // right after every "workflow/..." type
    put(*d, "Counter", "c-1", "6");
    CHECK_EQ(listed(*d, "workflow/"),
             (states{{"workflow/billing", "z", "3"},
                     {"workflow/orders", "a", std::string{"\0\xff", 2}},
                     {"workflow/orders", "b", "2"}}));
    CHECK_EQ(listed(*d, "workflow/", 2),
             (states{{"workflow/billing", "z", "3"},
                     {"workflow/orders", "a", std::string{"\0\xff", 2}}}));
    CHECK_EQ(listed(*d, "workflow/", 0), states{});
    CHECK_EQ(listed(*d, "workflow/orders"),
             (states{{"workflow/orders", "a", std::string{"\0\xff", 2}},
                     {"workflow/orders", "b", "2"}}));
    CHECK_EQ(listed(*d, "Timer"), states{});
    CHECK_EQ(listed(*d, "").size(), 6u);
    CHECK_EQ(listed(*d, "").front(), state_row{"Counter", "c-1", "6"});
    // A prefix ending in 0xFF bytes has no string right after it.
    put(*d, "w\xff", "1", "7");
    put(*d, "w\xff\xff", "1", "8");
    put(*d, "x", "1", "9");
    CHECK_EQ(listed(*d, "w\xff"),
             (states{{"w\xff", "1", "7"}, {"w\xff\xff", "1", "8"}}));
    CHECK_EQ(listed(*d, "\xff"), states{});
  }

  TEST_CASE_TEMPLATE(
    "purging an entity deletes its requests, replies and state", B,
    memory_backend, sqlite_backend, postgres_backend) {
    B backend;
    auto d = backend.open();
    const std::string wf = "workflow/orders";
    save(*d,
         {request(1, wf, "e-1", "start"), request(2, wf, "e-1", "step/0"),
          request(3, wf, "e-2", "start"), request(4, "Counter", "e-1", "start"),
          request(5, wf, "e-1", "step/1")});
    reply(*d, 1, state_row{wf, "e-1", "journal"});
    reply(*d, 3, state_row{wf, "e-2", "other"});
    put(*d, "Counter", "e-1", "counter");
    CHECK(!d->purge_entity(wf, "e-1"));
    CHECK_EQ(state_of(*d, wf, "e-1"), std::nullopt);
    auto gone = d->reply_for(1);
    REQUIRE(gone);
    CHECK_EQ(*gone, std::nullopt);
    // Unprocessed requests of the entity are gone, others stay.
    CHECK_EQ(claimed_ids(*d), (std::vector<int64_t>{4}));
    CHECK_EQ(state_of(*d, wf, "e-2"), "other");
    CHECK_EQ(state_of(*d, "Counter", "e-1"), "counter");
    auto kept = d->reply_for(3);
    REQUIRE(kept);
    CHECK_EQ(*kept, reply_row{3, true, "r"});
    // The keys are free again: a new execution with the same id starts anew.
    auto again = d->save_requests({request(6, wf, "e-1", "start")});
    REQUIRE(again);
    CHECK_EQ(*again, (std::vector<save_outcome>{{false, 6, std::nullopt}}));
    auto dup = d->save_requests({request(7, wf, "e-2", "start")});
    REQUIRE(dup);
    CHECK_EQ(*dup,
             (std::vector<save_outcome>{{true, 3, reply_row{3, true, "r"}}}));
    // Nothing stored is no error.
    CHECK(!d->purge_entity(wf, "never"));
    CHECK(!d->purge_entity("Unknown", "x"));
  }

  TEST_CASE("the memory backend refuses transact_state without running work") {
    memory_backend backend;
    auto d = backend.open();
    int runs = 0;
    auto err
      = d->transact_state(fence{"default:1", 0}, "workflow/orders", "e-1",
                          [&](sql_transaction&) -> caf::expected<std::string> {
                            ++runs;
                            return std::string{"state"};
                          });
    CHECK(err == errc::unsupported);
    CHECK_EQ(message_of(err),
             "the memory message storage has no SQL database to run work in");
    CHECK_EQ(runs, 0);
    CHECK_EQ(state_of(*d, "workflow/orders", "e-1"), std::nullopt);
  }

  TEST_CASE("transact_state commits the work's rows and the state together") {
    sqlite_backend backend;
    auto d = backend.open();
    int runs = 0;
    auto err = d->transact_state(fence{"default:1", 0}, "workflow/orders",
                                 "e-1",
                                 ledger_work("charge 1", "journal 1", &runs));
    REQUIRE_MESSAGE(!err, message_of(err));
    CHECK_EQ(runs, 1);
    CHECK_EQ(ledger(backend), strings{"charge 1"});
    CHECK_EQ(state_of(*d, "workflow/orders", "e-1"), "journal 1");
    // A second transaction replaces the state and adds its own row.
    err = d->transact_state(fence{"default:1", 0}, "workflow/orders", "e-1",
                            ledger_work("charge 2", std::string{"j\0 2", 4},
                                        &runs));
    REQUIRE_MESSAGE(!err, message_of(err));
    CHECK_EQ(ledger(backend), (strings{"charge 1", "charge 2"}));
    CHECK_EQ(state_of(*d, "workflow/orders", "e-1"), std::string{"j\0 2", 4});
    // The rows survive closing the driver: they were committed.
    d.reset();
    auto reopened = backend.open();
    CHECK_EQ(state_of(*reopened, "workflow/orders", "e-1"),
             std::string{"j\0 2", 4});
  }

  TEST_CASE("a failing work leaves neither its rows nor the state") {
    sqlite_backend backend;
    auto d = backend.open();
    int runs = 0;
    REQUIRE(!d->transact_state(fence{"default:1", 0}, "workflow/orders", "e-1",
                               ledger_work("kept", "before", &runs)));
    auto failing = [&](sql_transaction& tx) -> caf::expected<std::string> {
      ledger_work("lost", "after", &runs)(tx);
      return caf::make_error(errc::invalid_argument, "card declined");
    };
    auto err = d->transact_state(fence{"default:1", 0}, "workflow/orders",
                                 "e-1", failing);
    // The work's own error, unchanged.
    CHECK(err == errc::invalid_argument);
    CHECK_EQ(message_of(err), "card declined");
    CHECK_EQ(ledger(backend), strings{"kept"});
    CHECK_EQ(state_of(*d, "workflow/orders", "e-1"), "before");
    // A throw rolls back as well and becomes a storage error naming it.
    auto throwing = [&](sql_transaction& tx) -> caf::expected<std::string> {
      ledger_work("lost", "after", &runs)(tx);
      throw std::runtime_error("gateway timed out");
    };
    err = d->transact_state(fence{"default:1", 0}, "workflow/orders", "e-1",
                            throwing);
    CHECK(err == errc::io_error);
    CHECK_EQ(message_of(err),
             "transact state of workflow/orders/e-1 in " + backend.path()
               + ": gateway timed out");
    auto odd = [&](sql_transaction& tx) -> caf::expected<std::string> {
      ledger_work("lost", "after", &runs)(tx);
      throw 42;
    };
    err = d->transact_state(fence{"default:1", 0}, "workflow/orders", "e-1",
                            odd);
    CHECK(err == errc::io_error);
    CHECK_EQ(message_of(err),
             "transact state of workflow/orders/e-1 in " + backend.path()
               + ": the work threw a non-standard exception");
    CHECK_EQ(runs, 4);
    CHECK_EQ(ledger(backend), strings{"kept"});
    CHECK_EQ(state_of(*d, "workflow/orders", "e-1"), "before");
    // The driver works on afterwards.
    REQUIRE(!d->transact_state(fence{"default:1", 0}, "workflow/orders", "e-1",
                               ledger_work("next", "after", &runs)));
    CHECK_EQ(ledger(backend), (strings{"kept", "next"}));
  }

  TEST_CASE("a fenced or invalid transact_state runs no work") {
    sqlite_backend backend;
    auto d = backend.open();
    lease_to_b_under_epoch_2(*backend.runners());
    int runs = 0;
    auto err = d->transact_state(fence{"default:1", 1}, "workflow/orders",
                                 "e-1", ledger_work("stale", "stale", &runs));
    CHECK(err == errc::fenced);
    CHECK_EQ(message_of(err),
             "shard default:1 has epoch 2, newer than the writer's epoch 1");
    err = d->transact_state(fence{"", 2}, "workflow/orders", "e-1",
                            ledger_work("x", "x", &runs));
    CHECK(err == errc::invalid_argument);
    CHECK_EQ(message_of(err), "a fence needs a shard");
    err = d->transact_state(fence{"default:1", 2}, "workflow/orders", "",
                            ledger_work("x", "x", &runs));
    CHECK_EQ(message_of(err),
             "a durable state needs an entity type and an entity id");
    CHECK_EQ(runs, 0);
    CHECK_EQ(ledger(backend), strings{});
    CHECK_EQ(state_of(*d, "workflow/orders", "e-1"), std::nullopt);
    // The current owner's epoch commits.
    err = d->transact_state(fence{"default:1", 2}, "workflow/orders", "e-1",
                            ledger_work("fresh", "fresh", &runs));
    REQUIRE_MESSAGE(!err, message_of(err));
    CHECK_EQ(ledger(backend), strings{"fresh"});
    CHECK_EQ(state_of(*d, "workflow/orders", "e-1"), "fresh");
  }

} // TEST_SUITE
