// Runners racing on one PostgreSQL database: many threads granting one
// shard get exactly one holder per epoch and epochs without gaps; a grant
// and a fenced write on the same shard are ordered by the epoch row's lock,
// so no write under an old epoch commits after a newer grant; and writers
// hammering one shard see no storage error from lock conflicts.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/transaction>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

#include "storage/message_rows_io.hpp"
#include "storage/postgres_server.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::message_of;

namespace {

constexpr int64_t lease = 1000;

cluster_storage opened(const std::string& uri) {
  auto both = open_cluster_storage(uri);
  REQUIRE_MESSAGE(both, message_of(both.error()));
  return std::move(*both);
}

request_row request(int64_t id) {
  request_row row;
  row.request_id = id;
  row.entity_type = "Counter";
  row.entity_id = "c";
  row.shard = "g:1";
  row.tag = "increment";
  row.payload = "p";
  row.primary_key = std::to_string(id);
  return row;
}

} // namespace

TEST_SUITE("storage.postgres_races") {

TEST_CASE("runners racing for one lease: one holder per epoch, no gaps") {
  test::postgres_schema schema{"&pool=8"};
  constexpr int threads = 6;
  constexpr int rounds = 40;
  std::mutex mtx;
  std::map<int64_t, std::set<std::string>> holders; // epoch -> runners
  std::atomic<int> errors{0};
  std::atomic<int> decreasing{0};
  {
    // One pool per runner, as with separate processes.
    std::vector<cluster_storage> runners;
    for (int i = 0; i < threads; ++i)
      runners.push_back(opened(schema.uri()));
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i)
      workers.emplace_back([&, i] {
        auto name = "r" + std::to_string(i) + ":1";
        int64_t last = 0;
        for (int round = 1; round <= rounds; ++round) {
          // Every round starts after the previous round's leases expired,
          // so every thread competes for a new grant.
          auto now = round * 2 * lease;
          auto got = runners[i].runners->acquire(name, {"g:1", "g:2"}, now,
                                                 lease);
          if (!got) {
            ++errors;
            MESSAGE(message_of(got.error()));
            continue;
          }
          std::lock_guard<std::mutex> guard{mtx};
          for (const auto& grant : *got) {
            if (grant.shard != "g:1")
              continue;
            if (grant.epoch <= last)
              ++decreasing;
            last = grant.epoch;
            holders[grant.epoch].insert(name);
          }
        }
      });
    for (auto& w : workers)
      w.join();
  }
  CHECK_EQ(errors.load(), 0);
  CHECK_EQ(decreasing.load(), 0);
  REQUIRE_FALSE(holders.empty());
  for (const auto& [epoch, names] : holders) {
    CAPTURE(epoch);
    CHECK_EQ(names.size(), 1u);
  }
  // Every grant raised the epoch by one: the granted epochs are 1..last.
  auto last = holders.rbegin()->first;
  CHECK_EQ(holders.size(), static_cast<size_t>(last));
  CHECK_EQ(holders.begin()->first, 1);
  auto s = opened(schema.uri());
  auto current = s.runners->current_epoch("g:1");
  REQUIRE(current);
  CHECK_EQ(*current, last);
}

TEST_CASE("a grant waits for a fenced write that checked the epoch") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  auto first = s.runners->acquire("a:1", {"g:1"}, 0, lease);
  REQUIRE(first);
  REQUIRE_EQ(first->front().epoch, 1);
  // A fenced write as the driver does it, held open between its epoch
  // check (FOR SHARE) and its commit.
  pqxx::connection conn{test::postgres_conninfo(schema.dir())};
  pqxx::work tx{conn};
  auto epochs = tx.exec("SELECT epoch FROM \"" + schema.name()
                        + "\".cluster_shard_epochs WHERE shard = 'g:1'::bytea"
                          " FOR SHARE");
  REQUIRE_EQ(epochs[0][0].as<int64_t>(), 1);
  std::atomic<bool> committed{false};
  std::atomic<bool> granted_before_commit{false};
  std::vector<lease_grant> granted;
  std::thread grant{[&] {
    // The lease expired: b:1 gets the next epoch, but only after the write.
    auto got = s.runners->acquire("b:1", {"g:1"}, 2 * lease, lease);
    granted_before_commit = !committed;
    // No REQUIRE here: its exception would end the process from a thread.
    if (got)
      granted = *got;
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  committed = true;
  tx.commit();
  grant.join();
  CHECK_FALSE(granted_before_commit.load());
  CHECK_EQ(granted, std::vector<lease_grant>{{"g:1", 2}});
}

TEST_CASE("a fenced write waits for a grant in progress and is refused") {
  test::postgres_schema schema;
  auto s = opened(schema.uri());
  REQUIRE(s.runners->acquire("a:1", {"g:1"}, 0, lease));
  REQUIRE(s.messages->save_requests({request(1)}));
  // A grant as the driver does it, held open after raising the epoch.
  pqxx::connection conn{test::postgres_conninfo(schema.dir())};
  pqxx::work tx{conn};
  tx.exec("SELECT epoch FROM \"" + schema.name()
          + "\".cluster_shard_epochs WHERE shard = 'g:1'::bytea FOR UPDATE");
  tx.exec("UPDATE \"" + schema.name()
          + "\".cluster_shard_epochs SET epoch = 2 WHERE shard = 'g:1'::bytea");
  std::atomic<bool> committed{false};
  std::atomic<bool> done_before_commit{false};
  caf::expected<std::vector<caf::error>> result{std::vector<caf::error>{}};
  caf::error state_err;
  std::thread writer{[&] {
    result = s.messages->save_replies(
      {reply_write{reply_row{1, true, "late"}, fence{"g:1", 1}, std::nullopt,
                   5}});
    state_err = s.messages->save_state(state_row{"Counter", "c", "late"},
                                       fence{"g:1", 1});
    done_before_commit = !committed;
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  committed = true;
  tx.commit();
  writer.join();
  CHECK_FALSE(done_before_commit.load());
  REQUIRE_MESSAGE(result, message_of(result.error()));
  REQUIRE_EQ(result->size(), 1u);
  CHECK(result->front() == errc::fenced);
  CHECK_EQ(message_of(result->front()),
           "shard g:1 has epoch 2, newer than the writer's epoch 1");
  CHECK(state_err == errc::fenced);
  auto reply = s.messages->reply_for(1);
  REQUIRE(reply);
  CHECK_EQ(*reply, std::nullopt);
}

TEST_CASE("two runners hammering one shard: no storage error leaks") {
  test::postgres_schema schema{"&pool=4"};
  constexpr int per_thread = 60;
  std::atomic<int> errors{0};
  std::atomic<int> stored{0};
  std::atomic<int> fenced{0};
  std::atomic<int> lost_order{0};
  {
    auto a = opened(schema.uri());
    auto b = opened(schema.uri());
    // Requests 1..2*per_thread, saved up front by a sender.
    std::vector<request_row> rows;
    for (int64_t id = 1; id <= 2 * per_thread; ++id)
      rows.push_back(request(id));
    REQUIRE(a.messages->save_requests(rows));
    auto work = [&](cluster_storage& s, std::string name, int64_t first) {
      int64_t epoch = 0;
      int64_t seen = 0;
      for (int i = 0; i < per_thread; ++i) {
        // Each step takes the shard over (the other's lease expired) and
        // replies under its epoch, while the other does the same.
        auto now = (first + i) * 2 * lease;
        auto got = s.runners->acquire(name, {"g:1"}, now, lease);
        if (!got) {
          ++errors;
          MESSAGE(message_of(got.error()));
          continue;
        }
        if (!got->empty()) {
          epoch = got->front().epoch;
          if (epoch < seen)
            ++lost_order;
          seen = epoch;
        }
        auto res = s.messages->save_replies(
          {reply_write{reply_row{first + i, true, name}, fence{"g:1", epoch},
                       state_row{"Counter", "c", name}, now}});
        if (!res) {
          ++errors;
          MESSAGE(message_of(res.error()));
        } else if (!res->front()) {
          ++stored;
        } else if (res->front() == errc::fenced) {
          ++fenced;
        } else {
          ++errors;
          MESSAGE(message_of(res->front()));
        }
      }
    };
    std::thread ta{[&] { work(a, "a:1", 1); }};
    std::thread tb{[&] { work(b, "b:1", 1 + per_thread); }};
    ta.join();
    tb.join();
  }
  CHECK_EQ(errors.load(), 0);
  CHECK_EQ(lost_order.load(), 0);
  CHECK_EQ(stored.load() + fenced.load(), 2 * per_thread);
  CHECK_GT(stored.load(), 0);
  // Exactly the stored replies exist, and their requests are processed.
  CHECK_EQ(schema.query("SELECT count(*) FROM cluster_replies"),
           std::vector<std::string>{std::to_string(stored.load())});
  CHECK_EQ(schema.query("SELECT count(*) FROM cluster_requests WHERE processed"),
           std::vector<std::string>{std::to_string(stored.load())});
}

} // TEST_SUITE
