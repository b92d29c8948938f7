// The PostgreSQL backend under faults: the server stopped and started again
// mid-run, connections cut by the server, statements past their timeout, a
// pool with no free connection, and the fate of a transaction whose commit
// was interrupted. Every case fails or recovers within a bounded time; none
// crashes, hangs or leaks the password.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/transaction>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/internal/postgres_storage.hpp"
#include "caf_cluster/storage/internal/postgres_transaction.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/storage/sql_transaction.hpp"

#include "storage/message_rows_io.hpp"
#include "storage/postgres_server.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::message_of;

namespace {

constexpr int64_t t0 = 10'000;
constexpr int64_t lease = 60'000;

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

request_row request(int64_t id, std::string shard = "default:1") {
  request_row row;
  row.request_id = id;
  row.entity_type = "Counter";
  row.entity_id = "c-" + std::to_string(id % 3);
  row.shard = std::move(shard);
  row.tag = "increment";
  row.payload = "p" + std::to_string(id);
  row.primary_key = std::to_string(id);
  return row;
}

cluster_storage opened(const std::string& uri) {
  auto both = open_cluster_storage(uri);
  REQUIRE_MESSAGE(both, message_of(both.error()));
  return std::move(*both);
}

/// Saves request `id` and its reply under `epoch`; returns the error.
caf::error save_and_reply(message_driver& d, int64_t id, int64_t epoch) {
  auto saved = d.save_requests({request(id)});
  if (!saved)
    return saved.error();
  auto replied = d.save_replies({reply_write{reply_row{id, true, "r"},
                                             fence{"default:1", epoch},
                                             std::nullopt, t0}});
  if (!replied)
    return replied.error();
  return replied->front();
}

/// Ends the server backends of the pool of `schema` (application name
/// `caf-cluster:<schema>`); returns how many.
size_t cut_connections(const test::postgres_schema& schema) {
  auto n = schema.query("SELECT count(pg_terminate_backend(pid))"
                        " FROM pg_stat_activity WHERE application_name = "
                        "'caf-cluster:"
                        + schema.name() + "'");
  return std::stoul(n.front());
}

} // namespace

TEST_SUITE("storage.postgres_faults") {

TEST_CASE("a server stopped mid-run fails calls fast, and they work once it "
          "is back") {
  test::private_postgres_server server;
  test::postgres_schema schema{server.dir(), "&pool=3&connect-timeout=2"};
  auto s = opened(schema.uri());
  REQUIRE(s.runners->register_runner(runner_row{"a:1", 0, 1, {"default"}},
                                     300, t0, lease));
  auto grants = s.runners->acquire("a:1", {"default:1"}, t0, lease);
  REQUIRE(grants);
  REQUIRE_EQ(grants->size(), 1u);
  auto epoch = grants->front().epoch;
  REQUIRE_MESSAGE(!save_and_reply(*s.messages, 1, epoch),
                  "the first save fails");
  server.halt();
  // Down: every call is an io_error naming the server, within the connect
  // timeout, never a hang or a crash.
  auto start = clock_type::now();
  auto down = s.runners->refresh("a:1", {"default:1"}, t0 + 1, lease);
  REQUIRE(!down);
  CHECK(down.error() == errc::io_error);
  auto port = test::first_line_of(server.dir() + "/port");
  CHECK(message_of(down.error()).find("127.0.0.1:" + port)
        != std::string::npos);
  CHECK(message_of(down.error()).find(schema.password()) == std::string::npos);
  auto err = save_and_reply(*s.messages, 2, epoch);
  CHECK(err == errc::io_error);
  CHECK(!s.messages->pending_counts());
  CHECK_LT(seconds_since(start), 10.0);
  server.resume();
  // Back: the pool's dead connections are replaced; no call fails.
  auto again = s.runners->refresh("a:1", {"default:1"}, t0 + 2, lease);
  REQUIRE_MESSAGE(again, message_of(again.error()));
  CHECK_EQ(*again, std::vector<lease_grant>{{"default:1", epoch}});
  REQUIRE_MESSAGE(!save_and_reply(*s.messages, 3, epoch),
                  "a save after the restart fails");
  // What was committed before the stop is still there; the failed save is
  // not.
  auto one = s.messages->reply_for(1);
  REQUIRE(one);
  CHECK_EQ(*one, reply_row{1, true, "r"});
  auto two = s.messages->reply_for(2);
  REQUIRE(two);
  CHECK_EQ(*two, std::nullopt);
  CHECK_EQ(schema.query("SELECT count(*) FROM cluster_requests"),
           std::vector<std::string>{"2"});
}

TEST_CASE("connections cut by the server are replaced without an error") {
  test::postgres_schema schema{"&pool=3"};
  auto s = opened(schema.uri());
  auto grants = s.runners->acquire("a:1", {"default:1"}, t0, lease);
  REQUIRE(grants);
  auto epoch = grants->front().epoch;
  int64_t id = 1;
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    // Several threads, so that the pool holds several connections.
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 3; ++i) {
      auto first = id;
      id += 4;
      threads.emplace_back([&, first] {
        for (int64_t k = first; k < first + 4; ++k)
          if (save_and_reply(*s.messages, k, epoch))
            ++failures;
      });
    }
    for (auto& t : threads)
      t.join();
    CHECK_EQ(failures.load(), 0);
    CHECK_GE(cut_connections(schema), 1u);
    // The next calls find dead connections and retry on new ones.
    auto pending = s.messages->pending_counts();
    REQUIRE_MESSAGE(pending, message_of(pending.error()));
    CHECK(pending->empty());
    auto refreshed = s.runners->refresh("a:1", {"default:1"}, t0 + round,
                                        lease);
    REQUIRE_MESSAGE(refreshed, message_of(refreshed.error()));
    CHECK_EQ(refreshed->size(), 1u);
  }
  CHECK_EQ(schema.query("SELECT count(*) FROM cluster_replies"),
           std::vector<std::string>{std::to_string(id - 1)});
}

TEST_CASE("a statement past the statement timeout fails and rolls back") {
  test::postgres_schema schema{"&statement-timeout=1"};
  auto s = opened(schema.uri());
  auto start = clock_type::now();
  auto err = s.messages->transact_state(
    fence{"default:1", 0}, "workflow/w", "e-1",
    [](sql_transaction& tx) -> caf::expected<std::string> {
      tx.postgres().exec("CREATE TABLE slow (x int)");
      tx.postgres().exec("SELECT pg_sleep(5)");
      return std::string{"never"};
    });
  CHECK(err == errc::io_error);
  CHECK(message_of(err).find("statement timeout") != std::string::npos);
  CHECK_LT(seconds_since(start), 4.5);
  auto state = s.messages->load_state("workflow/w", "e-1");
  REQUIRE(state);
  CHECK_EQ(*state, std::nullopt);
  CHECK_EQ(schema.query("SELECT count(*) FROM pg_tables WHERE tablename = "
                        "'slow'"),
           std::vector<std::string>{"0"});
}

TEST_CASE("a call finds no free connection for the connect timeout: busy") {
  test::postgres_schema schema{"&pool=1&connect-timeout=1"};
  auto s = opened(schema.uri());
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  std::thread holder{[&] {
    auto err = s.messages->transact_state(
      fence{"default:1", 0}, "workflow/w", "e-1",
      [&](sql_transaction&) -> caf::expected<std::string> {
        inside = true;
        for (int i = 0; i < 500 && !release; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds{10});
        return std::string{"held"};
      });
    CHECK_MESSAGE(!err, message_of(err));
  }};
  for (int i = 0; i < 500 && !inside; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  REQUIRE(inside);
  auto start = clock_type::now();
  auto pending = s.messages->pending_counts();
  auto waited = seconds_since(start);
  release = true;
  holder.join();
  REQUIRE(!pending);
  CHECK(pending.error() == errc::busy);
  CHECK_EQ(message_of(pending.error()).rfind("all 1 connections to "
                                             "PostgreSQL at ",
                                             0),
           0u);
  CHECK_GE(waited, 0.9);
  CHECK_LT(waited, 5.0);
  // Free again: the call works.
  CHECK(s.messages->pending_counts());
}

TEST_CASE("the fate of a transaction is read back by its id") {
  test::postgres_schema schema;
  auto loc = parse_storage_uri(schema.uri());
  REQUIRE(loc);
  auto pool = internal::open_postgres_pool(loc->postgres);
  REQUIRE_MESSAGE(pool, message_of(pool.error()));
  auto txid_of = [&](bool commit) {
    auto conn = (*pool)->borrow();
    REQUIRE(conn);
    pqxx::work tx{**conn};
    auto id = tx.exec("SELECT txid_current()")[0][0].as<int64_t>();
    tx.exec("INSERT INTO " + (*pool)->schema()
            + ".cluster_meta (key, value) VALUES ('k" + std::to_string(id)
            + "', 'v')");
    if (commit)
      tx.commit();
    else
      tx.abort();
    return id;
  };
  CHECK(internal::postgres_commit_fate(**pool, txid_of(true))
        == internal::commit_fate::committed);
  CHECK(internal::postgres_commit_fate(**pool, txid_of(false))
        == internal::commit_fate::aborted);
  CHECK(internal::postgres_commit_fate(**pool, 0)
        == internal::commit_fate::unknown);
}

TEST_CASE("a commit whose connection broke is looked up, not repeated") {
  test::postgres_schema schema;
  auto loc = parse_storage_uri(schema.uri());
  REQUIRE(loc);
  auto pool = internal::open_postgres_pool(loc->postgres);
  REQUIRE_MESSAGE(pool, message_of(pool.error()));
  // The first attempt loses its connection as if during the commit (the
  // server aborts its transaction): the loop learns that from the
  // transaction id and runs the work again, once.
  int runs = 0;
  auto err = internal::run_postgres(
    **pool, "test write", true,
    [&](pqxx::transaction_base& tx,
        const internal::postgres_attempt& a) -> caf::error {
      ++runs;
      CHECK_FALSE(a.maybe_committed);
      tx.exec("INSERT INTO " + (*pool)->schema()
              + ".cluster_meta (key, value) VALUES ('once', 'v')");
      if (runs == 1) {
        tx.conn().simulate_failure();
        throw pqxx::in_doubt_error{"simulated: connection lost in COMMIT"};
      }
      return caf::none;
    });
  CHECK_MESSAGE(!err, message_of(err));
  CHECK_EQ(runs, 2);
  CHECK_EQ(schema.query("SELECT count(*) FROM cluster_meta WHERE key = 'once'"),
           std::vector<std::string>{"1"});
}

} // TEST_SUITE
