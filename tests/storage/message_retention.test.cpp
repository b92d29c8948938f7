// Bounded message storage (docs/architecture.md §7), run against every
// backend: processed requests and their replies are deleted a retention
// period after their reply, per entity type, oldest first and in batches;
// nothing unprocessed and no durable state is ever deleted; a duplicate key
// is recognised until its request expires and is new afterwards.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "storage/message_backends.hpp"
#include "storage/message_rows_io.hpp"

using namespace caf_cluster::storage;
using caf_cluster::storage::test::memory_backend;
using caf_cluster::storage::test::message_of;
using caf_cluster::storage::test::postgres_backend;
using caf_cluster::storage::test::sqlite_backend;

namespace {

constexpr int64_t t0 = 1'000'000;
constexpr int64_t hour = 3'600'000;
constexpr size_t many = 1000;

using ids = std::vector<int64_t>;
using rules = std::vector<retention_rule>;

/// A request to `type/entity` keyed `key` (its id as text if empty).
request_row request(int64_t id, std::string type, std::string entity,
                    std::string key = "") {
  request_row row;
  row.request_id = id;
  row.entity_type = std::move(type);
  row.entity_id = std::move(entity);
  row.shard = "default:1";
  row.tag = "increment";
  row.payload = "payload of " + std::to_string(id);
  row.primary_key = key.empty() ? std::to_string(id) : std::move(key);
  return row;
}

void save(message_driver& d, const std::vector<request_row>& rows) {
  auto result = d.save_requests(rows);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  for (const auto& x : *result)
    REQUIRE_FALSE(x.duplicate);
}

/// Stores the reply to `id` as produced at `at` (0: unstamped).
void reply(message_driver& d, int64_t id, int64_t at,
           std::optional<state_row> state = std::nullopt) {
  reply_write w{reply_row{id, true, "reply " + std::to_string(id)},
                fence{"default:1", 0}, std::move(state), at};
  auto result = d.save_replies({w});
  REQUIRE_MESSAGE(result, message_of(result.error()));
  REQUIRE_EQ(result->size(), 1u);
  REQUIRE_MESSAGE(!result->front(), message_of(result->front()));
}

size_t expire(message_driver& d, int64_t now, int64_t retention,
              const rules& by_type = {}, size_t limit = many) {
  auto result = d.expire_processed(now, retention, by_type, limit);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

bool has_reply(message_driver& d, int64_t id) {
  auto result = d.reply_for(id);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return result->has_value();
}

/// The ids among `xs` whose request is still stored, by its reply: every
/// request in these tests has one unless it is deleted.
ids replied(message_driver& d, const ids& xs) {
  ids result;
  for (auto id : xs)
    if (has_reply(d, id))
      result.push_back(id);
  return result;
}

/// The ids of the unprocessed requests, claimed (far in the future).
ids unprocessed(message_driver& d) {
  auto result = d.claim_unprocessed({"default:1"}, t0 + 1000 * hour, 0, many);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  ids xs;
  for (const auto& row : *result)
    xs.push_back(row.request_id);
  return xs;
}

int64_t rows_of(message_driver& d, const std::string& table) {
  auto result = d.table_sizes();
  REQUIRE_MESSAGE(result, message_of(result.error()));
  for (const auto& x : *result)
    if (x.table == table)
      return x.rows;
  FAIL("no table ", table);
  return -1;
}

} // namespace

TEST_SUITE("storage.message_retention") {

TEST_CASE_TEMPLATE("unprocessed requests are never expired", B, memory_backend,
                   sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto later = request(2, "Counter", "c-1");
  later.deliver_at_ms = t0 + 500 * hour;
  save(*d, {request(1, "Counter", "c-1"), later, request(3, "Counter", "c-2")});
  reply(*d, 3, t0);
  // Retention 0 far in the future: only the processed one goes.
  CHECK_EQ(expire(*d, t0 + 2000 * hour, 0), 1u);
  CHECK_EQ(expire(*d, t0 + 2000 * hour, 0), 0u);
  CHECK_EQ(unprocessed(*d), ids{1, 2});
  CHECK_EQ(rows_of(*d, "cluster_requests"), 2);
  CHECK_EQ(rows_of(*d, "cluster_replies"), 0);
}

TEST_CASE_TEMPLATE("a processed request expires a retention period after its "
                   "reply, with the reply",
                   B, memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  save(*d, {request(1, "Counter", "c-1"), request(2, "Counter", "c-1"),
            request(3, "Counter", "c-2")});
  reply(*d, 1, t0);
  reply(*d, 2, t0 + 10, state_row{"Counter", "c-1", "state"});
  reply(*d, 3, t0 + 20);
  CHECK_EQ(expire(*d, t0 + hour - 1, hour), 0u);
  CHECK_EQ(replied(*d, {1, 2, 3}), ids{1, 2, 3});
  // At exactly one retention period after the reply it is due.
  CHECK_EQ(expire(*d, t0 + hour, hour), 1u);
  CHECK_EQ(replied(*d, {1, 2, 3}), ids{2, 3});
  CHECK_EQ(expire(*d, t0 + hour + 15, hour), 1u);
  CHECK_EQ(replied(*d, {1, 2, 3}), ids{3});
  CHECK_EQ(rows_of(*d, "cluster_requests"), 1);
  CHECK_EQ(rows_of(*d, "cluster_replies"), 1);
  // Durable state is never expired.
  auto state = d->load_state("Counter", "c-1");
  REQUIRE(state);
  CHECK_EQ(*state, std::optional<std::string>{"state"});
  CHECK_EQ(rows_of(*d, "cluster_entity_states"), 1);
}

TEST_CASE_TEMPLATE("entity types have their own retention, negative for ever",
                   B, memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  save(*d, {request(1, "Counter", "c"), request(2, "Cron", "tick"),
            request(3, "Journal", "wf"), request(4, "Other", "o")});
  for (int64_t id = 1; id <= 4; ++id)
    reply(*d, id, t0);
  rules by_type{{"Cron", 60'000}, {"Journal", -1}, {"Other", 10 * hour},
                {"Cron", 0}}; // of two rules for one type the first counts
  CHECK_EQ(expire(*d, t0 + 60'000, hour, by_type), 1u);
  CHECK_EQ(replied(*d, {1, 2, 3, 4}), ids{1, 3, 4});
  CHECK_EQ(expire(*d, t0 + hour, hour, by_type), 1u);
  CHECK_EQ(replied(*d, {1, 2, 3, 4}), ids{3, 4});
  CHECK_EQ(expire(*d, t0 + 1000 * hour, hour, by_type), 1u);
  CHECK_EQ(replied(*d, {1, 2, 3, 4}), ids{3});
  // A negative default keeps every type without a rule for ever.
  save(*d, {request(5, "Counter", "c")});
  reply(*d, 5, t0);
  CHECK_EQ(expire(*d, t0 + 1000 * hour, -1, {{"Cron", 0}}), 0u);
  CHECK_EQ(replied(*d, {3, 5}), ids{3, 5});
}

TEST_CASE_TEMPLATE("the limit bounds each call and the oldest replies go first",
                   B, memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  // Ids and reply times in different orders: the reply time decides.
  save(*d, {request(1, "Counter", "a"), request(2, "Counter", "b"),
            request(3, "Counter", "c"), request(4, "Counter", "d"),
            request(5, "Slow", "e")});
  reply(*d, 3, t0 + 1);
  reply(*d, 1, t0 + 2);
  reply(*d, 5, t0 + 2);
  reply(*d, 4, t0 + 2);
  reply(*d, 2, t0 + 3);
  // The oldest of all (Slow) is skipped, not counted against the limit.
  rules slow{{"Slow", 100 * hour}};
  CHECK_EQ(expire(*d, t0 + hour + 10, hour, slow, 2), 2u);
  CHECK_EQ(replied(*d, {1, 2, 3, 4, 5}), ids{2, 4, 5});
  CHECK_EQ(expire(*d, t0 + hour + 10, hour, slow, 1), 1u);
  CHECK_EQ(replied(*d, {1, 2, 3, 4, 5}), ids{2, 5});
  CHECK_EQ(expire(*d, t0 + hour + 10, hour, slow, 5), 1u);
  CHECK_EQ(expire(*d, t0 + hour + 10, hour, slow, 5), 0u);
  CHECK_EQ(replied(*d, {1, 2, 3, 4, 5}), ids{5});
  auto none = d->expire_processed(t0, hour, {}, 0);
  REQUIRE_FALSE(none);
  CHECK(none.error() == errc::invalid_argument);
}

TEST_CASE_TEMPLATE("an unstamped reply is stamped first and expires a "
                   "retention period later",
                   B, memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  save(*d, {request(1, "Counter", "a"), request(2, "Counter", "b"),
            request(3, "Counter", "c")});
  reply(*d, 1, 0);
  reply(*d, 2, 0);
  reply(*d, 3, t0);
  // Stamps count against the limit and come before any deletion.
  CHECK_EQ(expire(*d, t0 + hour, hour, {}, 2), 2u);
  CHECK_EQ(replied(*d, {1, 2, 3}), ids{1, 2, 3});
  CHECK_EQ(expire(*d, t0 + hour, hour), 1u);
  CHECK_EQ(replied(*d, {1, 2, 3}), ids{1, 2});
  // Stamped at t0 + hour, not when the reply was stored.
  CHECK_EQ(expire(*d, t0 + 2 * hour - 1, hour), 0u);
  CHECK_EQ(expire(*d, t0 + 2 * hour, hour), 2u);
  CHECK_EQ(replied(*d, {1, 2, 3}), ids{});
  // A stamp is no deletion even with a retention of 0; types kept for ever
  // are stamped, too (their rule may change), once.
  save(*d, {request(4, "Counter", "d"), request(5, "Journal", "wf")});
  reply(*d, 4, 0);
  reply(*d, 5, 0);
  rules keep{{"Journal", -1}};
  CHECK_EQ(expire(*d, t0 + 3 * hour, 0, keep), 2u);
  CHECK_EQ(replied(*d, {4, 5}), ids{4, 5});
  CHECK_EQ(expire(*d, t0 + 3 * hour, 0, keep), 1u);
  CHECK_EQ(expire(*d, t0 + 3 * hour, 0, keep), 0u);
  CHECK_EQ(replied(*d, {4, 5}), ids{5});
}

TEST_CASE_TEMPLATE("a duplicate key is recognised until its request expires",
                   B, memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  save(*d, {request(1, "Counter", "c", "k")});
  reply(*d, 1, t0);
  CHECK_EQ(expire(*d, t0 + hour - 1, hour), 0u);
  auto again = d->save_requests({request(2, "Counter", "c", "k")});
  REQUIRE(again);
  CHECK_EQ(*again, std::vector<save_outcome>{
                     {true, 1, reply_row{1, true, "reply 1"}}});
  CHECK_EQ(expire(*d, t0 + hour, hour), 1u);
  // After expiry the same key is a new request, delivered again.
  auto late = d->save_requests({request(3, "Counter", "c", "k")});
  REQUIRE(late);
  CHECK_EQ(*late, std::vector<save_outcome>{{false, 3, std::nullopt}});
  CHECK_EQ(unprocessed(*d), ids{3});
  // Its reply under the same key is stored and expires in its own time.
  reply(*d, 3, t0 + 2 * hour);
  CHECK_EQ(expire(*d, t0 + 2 * hour, hour), 0u);
  CHECK_EQ(replied(*d, {1, 3}), ids{3});
}

TEST_CASE_TEMPLATE("table sizes count the rows of every message table", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto sizes = d->table_sizes();
  REQUIRE_MESSAGE(sizes, message_of(sizes.error()));
  std::vector<std::string> names;
  for (const auto& x : *sizes) {
    names.push_back(x.table);
    CHECK_EQ(x.rows, 0);
    CHECK(x.bytes >= -1);
  }
  CHECK_EQ(names, std::vector<std::string>{"cluster_entity_states",
                                           "cluster_replies",
                                           "cluster_requests"});
  save(*d, {request(1, "Counter", "a"), request(2, "Counter", "b"),
            request(3, "Counter", "c")});
  reply(*d, 1, t0, state_row{"Counter", "a", "s"});
  CHECK_EQ(rows_of(*d, "cluster_requests"), 3);
  CHECK_EQ(rows_of(*d, "cluster_replies"), 1);
  CHECK_EQ(rows_of(*d, "cluster_entity_states"), 1);
}

TEST_CASE_TEMPLATE("purged entities leave nothing behind for expiry", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  save(*d, {request(1, "Counter", "a"), request(2, "Counter", "b")});
  reply(*d, 1, t0);
  reply(*d, 2, t0);
  REQUIRE_FALSE(d->purge_entity("Counter", "a"));
  CHECK_EQ(expire(*d, t0 + hour, hour), 1u);
  CHECK_EQ(rows_of(*d, "cluster_requests"), 0);
}

} // TEST_SUITE
