// The message storage contract that the core relies on (docs/architecture.md §7),
// run against every backend: saving with deduplication, exactly one reply per
// request, claims, delivery order and time, durable state stored with its
// reply, and fencing by the lease epochs of runner storage.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "storage/message_backends.hpp"
#include "storage/message_rows_io.hpp"
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

using ids = std::vector<int64_t>;
using outcomes = std::vector<save_outcome>;
using counts = std::vector<pending_count>;

/// A request to entity `Counter/<entity>` keyed by its id unless `key` is
/// given.
request_row request(int64_t id, std::string entity,
                    std::string shard = "default:1", std::string key = "") {
  request_row row;
  row.request_id = id;
  row.entity_type = "Counter";
  row.entity_id = std::move(entity);
  row.shard = std::move(shard);
  row.tag = "increment";
  row.payload = "payload of " + std::to_string(id);
  row.headers = "h";
  row.primary_key = key.empty() ? std::to_string(id) : std::move(key);
  return row;
}

/// The row as a claim at `now` returns it.
request_row claimed_at(request_row row, int64_t now) {
  row.claimed_at_ms = now;
  return row;
}

outcomes saved(message_driver& d, const std::vector<request_row>& rows) {
  auto result = d.save_requests(rows);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

save_outcome stored(int64_t id) {
  return save_outcome{false, id, std::nullopt};
}

save_outcome duplicate_of(int64_t id,
                          std::optional<reply_row> reply = std::nullopt) {
  return save_outcome{true, id, std::move(reply)};
}

std::vector<request_row> claimed(message_driver& d,
                                 const std::vector<std::string>& shards,
                                 int64_t now, size_t limit = 100) {
  auto result = d.claim_unprocessed(shards, now, claim, limit);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

ids claimed_ids(message_driver& d, const std::vector<std::string>& shards,
                int64_t now, size_t limit = 100) {
  ids result;
  for (const auto& row : claimed(d, shards, now, limit))
    result.push_back(row.request_id);
  return result;
}

reply_write reply_to(int64_t id, std::string payload,
                     std::string shard = "default:1", int64_t epoch = 0) {
  return reply_write{reply_row{id, true, std::move(payload)},
                     fence{std::move(shard), epoch}, std::nullopt};
}

/// Stores `writes` and returns the message of each refused write, "" for
/// each stored one.
std::vector<std::string> replied(message_driver& d,
                                 const std::vector<reply_write>& writes) {
  auto result = d.save_replies(writes);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  REQUIRE_EQ(result->size(), writes.size());
  std::vector<std::string> messages;
  for (const auto& err : *result)
    messages.push_back(err ? message_of(err) : "");
  return messages;
}

std::optional<reply_row> reply_of(message_driver& d, int64_t id) {
  auto result = d.reply_for(id);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

std::optional<std::string> state_of(message_driver& d, const std::string& id) {
  auto result = d.load_state("Counter", id);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

counts pending(message_driver& d) {
  auto result = d.pending_counts();
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

std::vector<std::string> all_shards() {
  return {"default:1", "default:2", "default:3"};
}

} // namespace

TEST_SUITE("storage.message_driver") {

TEST_CASE_TEMPLATE("saved requests read back with every byte", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto a = request(1, "c-1");
  a.payload = std::string{"\0\x01\xff\xfe text \0", 10};
  a.headers = std::string{"\x80\0", 2};
  auto b = request(2, "c\n\"2\"", "eu:7", "user key \xc3\xbc");
  b.tag = "decrement";
  b.payload.clear();
  b.headers.clear();
  b.deliver_at_ms = t0 - 1;
  // The driver owns `processed`; a claim time is stored as given (tested
  // below), so row c's claim lapsed by `t0`.
  auto c = request(3, "c-1");
  c.processed = true;
  c.claimed_at_ms = t0 - claim;
  CHECK_EQ(saved(*d, {a, b, c}), outcomes{stored(1), stored(2), stored(3)});
  CHECK_EQ(claimed(*d, {"default:1", "eu:7"}, t0),
           std::vector<request_row>{claimed_at(a, t0), claimed_at(b, t0),
                                    claimed_at(request(3, "c-1"), t0)});
}

TEST_CASE_TEMPLATE("a duplicate primary key returns the original request", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(saved(*d, {request(1, "c-1", "default:1", "k1")}),
             outcomes{stored(1)});
  CHECK_EQ(saved(*d,
                 {
                   request(2, "c-1", "default:1", "k1"),
                   request(3, "c-1", "default:1", "k2"),
                   request(4, "c-1", "default:1", "k2"),
                   request(5, "c-2", "default:1", "k1"),
                 }),
           outcomes{duplicate_of(1), stored(3), duplicate_of(3), stored(5)});
  // A duplicate within the batch is no reuse of its id.
  CHECK_EQ(saved(*d, {request(8, "c-3", "default:1", "z"),
                      request(1, "c-3", "default:1", "z")}),
           outcomes{stored(8), duplicate_of(8)});
  // Saving a row again after an error is safe: it finds itself.
  CHECK_EQ(saved(*d, {request(3, "c-1", "default:1", "k2")}),
           outcomes{duplicate_of(3)});
  REQUIRE_EQ(replied(*d, {reply_to(1, "one")}), std::vector<std::string>{""});
  CHECK_EQ(saved(*d,
                 {request(6, "c-1", "default:1", "k1"),
                  request(7, "c-1", "default:1", "k2")}),
           outcomes{duplicate_of(1, reply_row{1, true, "one"}),
                    duplicate_of(3)});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), ids{3, 5, 8});
}

TEST_CASE_TEMPLATE("a reply marks its request processed, once", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(saved(*d,
                   {request(1, "c-1"), request(2, "c-1"),
                    request(3, "c-2", "default:2")})
               .size(),
             3u);
  CHECK_EQ(reply_of(*d, 1), std::nullopt);
  auto failure = reply_to(2, "encoded error");
  failure.reply.ok = false;
  CHECK_EQ(replied(*d, {reply_to(1, "one"), failure}),
           std::vector<std::string>{"", ""});
  CHECK_EQ(reply_of(*d, 1), reply_row{1, true, "one"});
  CHECK_EQ(reply_of(*d, 2), reply_row{2, false, "encoded error"});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), ids{3});
  CHECK_EQ(replied(*d,
                   {
                     reply_to(1, "again"),
                     reply_to(3, "three", "default:2"),
                     reply_to(3, "three again", "default:2"),
                     reply_to(99, "unknown"),
                     reply_to(2, "elsewhere", "default:2"),
                   }),
           std::vector<std::string>{
             "request 1 has a reply already",
             "",
             "request 3 has a reply already",
             "no request 99 is stored",
             "request 2 belongs to shard default:1, not default:2",
           });
  CHECK_EQ(reply_of(*d, 1), reply_row{1, true, "one"});
  CHECK_EQ(reply_of(*d, 3), reply_row{3, true, "three"});
  CHECK_EQ(reply_of(*d, 99), std::nullopt);
  auto errs = d->save_replies({reply_to(1, "again")});
  REQUIRE(errs);
  CHECK((*errs)[0] == errc::invalid_argument);
}

TEST_CASE_TEMPLATE("claims hide requests for a while and resets free them", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(saved(*d,
                   {request(1, "c-1"), request(2, "c-2"),
                    request(3, "c-3", "default:2")})
               .size(),
             3u);
  CHECK_EQ(claimed(*d, {"default:1"}, t0),
           std::vector<request_row>{claimed_at(request(1, "c-1"), t0),
                                    claimed_at(request(2, "c-2"), t0)});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim - 1), ids{3});
  // A claim holds for claim_ms, then the rows come back.
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim), ids{1, 2});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim + 1), ids{});
  CHECK(!d->reset_claims({"default:1", "default:9"}));
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim + 1), ids{1, 2});
  CHECK(!d->reset_claims({}));
  CHECK(!d->reset_claims(all_shards()));
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim + 2), ids{1, 2, 3});
  // A claim duration of 0 hides nothing.
  auto again = d->claim_unprocessed({"default:2"}, t0 + claim + 2, 0, 10);
  REQUIRE(again);
  CHECK_EQ(*again,
           std::vector<request_row>{
             claimed_at(request(3, "c-3", "default:2"), t0 + claim + 2)});
  auto bad = d->claim_unprocessed({"default:2"}, t0, -1, 10);
  REQUIRE(!bad);
  CHECK(bad.error() == errc::invalid_argument);
  CHECK_EQ(message_of(bad.error()),
           "the claim duration must not be negative, got -1 ms");
}

TEST_CASE_TEMPLATE("a request saved with a claim time is claimed from then on", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  // The saving runner delivers it itself: claims leave it alone for claim_ms.
  REQUIRE_EQ(saved(*d, {claimed_at(request(1, "c-1"), t0), request(2, "c-2")}),
             (outcomes{stored(1), stored(2)}));
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim - 1), ids{2});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim), ids{1});
  CHECK(!d->reset_claims(all_shards()));
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + claim), ids{1, 2});
}

TEST_CASE_TEMPLATE("unprocessed requests come in request id order", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(saved(*d,
                   {
                     request(30, "c-2", "default:2"),
                     request(10, "c-1", "default:1"),
                     request(50, "c-9", "other:1"),
                     request(20, "c-3", "default:1"),
                   })
               .size(),
             4u);
  REQUIRE_EQ(
    saved(*d,
          {request(40, "c-1", "default:3"), request(15, "c-2", "default:2")})
      .size(),
    2u);
  auto shards = all_shards();
  shards.push_back("default:1");
  CHECK_EQ(claimed_ids(*d, shards, t0, 3), ids{10, 15, 20});
  CHECK_EQ(claimed_ids(*d, shards, t0, 3), ids{30, 40});
  CHECK_EQ(claimed_ids(*d, {"other:1"}, t0, 1), ids{50});
}

std::vector<request_row> of_entity(message_driver& d, const std::string& id,
                                   int64_t now, size_t limit = 100) {
  auto result = d.unprocessed_for_entity("Counter", id, now, limit);
  REQUIRE_MESSAGE(result, message_of(result.error()));
  return *result;
}

ids ids_of(const std::vector<request_row>& rows) {
  ids result;
  for (const auto& row : rows)
    result.push_back(row.request_id);
  return result;
}

TEST_CASE_TEMPLATE("an entity's unprocessed requests read in id order", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto later = request(25, "c-1");
  later.deliver_at_ms = t0 + 500;
  auto other_type = request(12, "c-1");
  other_type.entity_type = "Ledger";
  REQUIRE_EQ(saved(*d, {request(30, "c-1"), request(10, "c-1"),
                        request(20, "c-2"), later, other_type,
                        claimed_at(request(40, "c-1"), t0 - 1)})
               .size(),
             6u);
  REQUIRE_EQ(replied(*d, {reply_to(10, "done")}), std::vector<std::string>{""});
  // Processed, other entities and types, not yet due: left out; nothing is
  // claimed, and a stored claim reads back as stored.
  auto rows = of_entity(*d, "c-1", t0);
  CHECK_EQ(ids_of(rows), ids{30, 40});
  REQUIRE_EQ(rows.size(), 2u);
  CHECK_EQ(rows[0], request(30, "c-1"));
  CHECK_EQ(rows[1], claimed_at(request(40, "c-1"), t0 - 1));
  CHECK_EQ(ids_of(of_entity(*d, "c-1", t0, 1)), ids{30});
  CHECK_EQ(ids_of(of_entity(*d, "c-1", t0, 0)), ids{});
  CHECK_EQ(ids_of(of_entity(*d, "c-1", t0 + 500)), (ids{25, 30, 40}));
  CHECK_EQ(ids_of(of_entity(*d, "c-3", t0)), ids{});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), (ids{12, 20, 30}));
}

TEST_CASE_TEMPLATE("deliver_at holds a request until its time", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto later = request(1, "c-1");
  later.deliver_at_ms = t0 + 500;
  auto now = request(3, "c-1");
  now.deliver_at_ms = t0;
  auto past = request(4, "c-3");
  past.deliver_at_ms = -5;
  REQUIRE_EQ(saved(*d, {later, request(2, "c-2"), now, past}).size(), 4u);
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 - 1), ids{2, 4});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), ids{3});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + 499), ids{});
  CHECK_EQ(pending(*d), counts{{"default:1", "Counter", 4, -5}});
  CHECK(!d->reset_claims({"default:1"}));
  CHECK_EQ(claimed_ids(*d, all_shards(), t0 + 499), ids{2, 3, 4});
  CHECK_EQ(claimed(*d, all_shards(), t0 + 500),
           std::vector<request_row>{claimed_at(later, t0 + 500)});
}

TEST_CASE_TEMPLATE("durable state is stored together with its reply", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  REQUIRE_EQ(saved(*d,
                   {request(1, "c-1"), request(2, "c-1"), request(3, "c-2")})
               .size(),
             3u);
  CHECK_EQ(state_of(*d, "c-1"), std::nullopt);
  auto first = reply_to(1, "1");
  first.state = state_row{"Counter", "c-1", std::string{"\0\x01", 2}};
  REQUIRE_EQ(replied(*d, {first}), std::vector<std::string>{""});
  CHECK_EQ(state_of(*d, "c-1"), std::string{"\0\x01", 2});
  auto second = reply_to(2, "2");
  second.state = state_row{"Counter", "c-1", "2"};
  auto misplaced = reply_to(3, "3");
  misplaced.state = state_row{"Counter", "c-1", "from c-2"};
  CHECK_EQ(replied(*d, {second, misplaced}),
           std::vector<std::string>{
             "",
             "the state of Counter/c-1 cannot be stored with the reply "
             "to request 3 for Counter/c-2"});
  CHECK_EQ(state_of(*d, "c-1"), "2");
  CHECK_EQ(reply_of(*d, 3), std::nullopt);
  // A state change without a reply.
  CHECK(
    !d->save_state(state_row{"Counter", "c-2", ""}, fence{"default:1", 0}));
  CHECK_EQ(state_of(*d, "c-2"), "");
  CHECK(
    !d->save_state(state_row{"Counter", "c-2", "x"}, fence{"default:1", 0}));
  CHECK_EQ(state_of(*d, "c-2"), "x");
  auto other = d->load_state("Timer", "c-2");
  REQUIRE(other);
  CHECK_EQ(*other, std::nullopt);
}

namespace {

/// Runner a:1 held default:1 under epoch 1; b:1 holds it now under epoch 2.
void lease_to_b_under_epoch_2(runner_driver& runners) {
  REQUIRE_EQ(runners.acquire("a:1", {"default:1"}, t0, lease)->size(), 1u);
  REQUIRE(!runners.release("a:1", {"default:1"}));
  REQUIRE_EQ(*runners.acquire("b:1", {"default:1"}, t0, lease),
             std::vector<lease_grant>{{"default:1", 2}});
}

} // namespace

TEST_CASE_TEMPLATE("a batch of requests and replies gives each part's results", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  lease_to_b_under_epoch_2(*backend.runners());
  REQUIRE_EQ(saved(*d, {request(1, "c-1"), request(2, "c-2")}).size(), 2u);
  auto stale = reply_to(2, "late", "default:1", 1);
  auto fresh = reply_to(1, "one", "default:1", 2);
  fresh.state = state_row{"Counter", "c-1", "state"};
  auto out = d->save_batch({request(3, "c-1"), request(4, "c-1", "default:1", "1")},
                           {fresh, stale});
  REQUIRE(out.requests);
  CHECK_EQ(*out.requests, (outcomes{stored(3), duplicate_of(1)}));
  REQUIRE(out.replies);
  REQUIRE_EQ(out.replies->size(), 2u);
  CHECK(!(*out.replies)[0]);
  CHECK((*out.replies)[1] == errc::fenced);
  CHECK_EQ(reply_of(*d, 1), reply_row{1, true, "one"});
  CHECK_EQ(state_of(*d, "c-1"), "state");
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), (ids{2, 3}));
  // A bad request row refuses the requests only.
  auto bad = request(5, "");
  auto mixed = d->save_batch({bad}, {reply_to(3, "three", "default:1", 2)});
  CHECK(!mixed.requests);
  REQUIRE(mixed.replies);
  CHECK(!(*mixed.replies)[0]);
  CHECK_EQ(reply_of(*d, 3), reply_row{3, true, "three"});
  // Empty parts give empty results.
  auto none = d->save_batch({}, {});
  REQUIRE(none.requests);
  REQUIRE(none.replies);
  CHECK(none.requests->empty());
  CHECK(none.replies->empty());
}

TEST_CASE_TEMPLATE("a writer with a stale epoch stores nothing", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto runners = backend.runners();
  lease_to_b_under_epoch_2(*runners);
  REQUIRE_EQ(*runners->acquire("b:1", {"default:2"}, t0, lease),
             std::vector<lease_grant>{{"default:2", 1}});
  REQUIRE_EQ(saved(*d,
                   {request(1, "c-1"), request(2, "c-2", "default:2"),
                    request(3, "c-3", "default:3")})
               .size(),
             3u);
  auto stale = reply_to(1, "from a", "default:1", 1);
  stale.state = state_row{"Counter", "c-1", "a's state"};
  auto current = reply_to(2, "from b", "default:2", 1);
  current.state = state_row{"Counter", "c-2", "b's state"};
  // default:3 was never granted: its epoch is 0.
  auto unleased = reply_to(3, "three", "default:3", 0);
  CHECK_EQ(replied(*d, {stale, current, unleased}),
           std::vector<std::string>{
             "shard default:1 has epoch 2, newer than the writer's epoch 1",
             "", ""});
  auto errs = d->save_replies({stale});
  REQUIRE(errs);
  CHECK((*errs)[0] == errc::fenced);
  CHECK_EQ(reply_of(*d, 1), std::nullopt);
  CHECK_EQ(state_of(*d, "c-1"), std::nullopt);
  CHECK_EQ(state_of(*d, "c-2"), "b's state");
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), ids{1});
  auto err = d->save_state(state_row{"Counter", "c-1", "late"},
                           fence{"default:1", 1});
  CHECK(err == errc::fenced);
  CHECK_EQ(message_of(err),
           "shard default:1 has epoch 2, newer than the writer's epoch 1");
  CHECK_EQ(state_of(*d, "c-1"), std::nullopt);
  // The new owner writes under epoch 2.
  auto fresh = reply_to(1, "from b", "default:1", 2);
  fresh.state = state_row{"Counter", "c-1", "b's state"};
  CHECK_EQ(replied(*d, {fresh}), std::vector<std::string>{""});
  CHECK_EQ(state_of(*d, "c-1"), "b's state");
  CHECK(!d->save_state(state_row{"Counter", "c-1", "later"},
                       fence{"default:1", 2}));
  CHECK_EQ(state_of(*d, "c-1"), "later");
}

TEST_CASE_TEMPLATE("a batch of 1000 requests is one call", B, memory_backend,
                   sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  std::vector<request_row> rows;
  outcomes expected;
  for (int64_t i = 1; i <= 1000; ++i) {
    auto shard = "default:" + std::to_string(i % 4);
    rows.push_back(request(i, "c-" + std::to_string(i % 10), shard));
    expected.push_back(stored(i));
  }
  CHECK_EQ(saved(*d, rows), expected);
  CHECK_EQ(pending(*d),
           counts{{"default:0", "Counter", 250},
                  {"default:1", "Counter", 250},
                  {"default:2", "Counter", 250},
                  {"default:3", "Counter", 250}});
  auto got = claimed(*d, {"default:0", "default:1", "default:2", "default:3"},
                     t0, 1000);
  REQUIRE_EQ(got.size(), 1000u);
  std::vector<reply_write> writes;
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK_EQ(got[i], claimed_at(rows[i], t0));
    writes.push_back(reply_to(got[i].request_id, "ok", got[i].shard));
  }
  CHECK_EQ(replied(*d, writes), std::vector<std::string>(1000, ""));
  CHECK_EQ(pending(*d), counts{});
  CHECK_EQ(reply_of(*d, 1000), reply_row{1000, true, "ok"});
}

TEST_CASE_TEMPLATE("empty inputs change nothing", B, memory_backend,
                   sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  CHECK_EQ(saved(*d, {}), outcomes{});
  auto replies = d->save_replies({});
  REQUIRE(replies);
  CHECK(replies->empty());
  CHECK_EQ(claimed_ids(*d, {}, t0), ids{});
  CHECK(!d->reset_claims({}));
  CHECK_EQ(pending(*d), counts{});
  REQUIRE_EQ(saved(*d, {request(1, "c-1")}), outcomes{stored(1)});
  CHECK_EQ(claimed_ids(*d, {}, t0), ids{});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0, 0), ids{});
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), ids{1});
}

TEST_CASE_TEMPLATE("invalid requests are refused and nothing is stored", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto check_invalid = [&](const std::vector<request_row>& rows,
                           const std::string& msg) {
    auto result = d->save_requests(rows);
    REQUIRE(!result);
    CHECK(result.error() == errc::invalid_argument);
    CHECK_EQ(message_of(result.error()), msg);
  };
  auto keyless = request(2, "c-1");
  keyless.primary_key.clear();
  check_invalid({request(1, "c-1"), keyless},
                "request 2 has an empty primary key");
  auto typeless = request(2, "c-1");
  typeless.entity_type.clear();
  check_invalid({typeless}, "request 2 has an empty entity type");
  check_invalid({request(2, "")}, "request 2 has an empty entity id");
  check_invalid({request(2, "c-1", "")}, "request 2 has an empty shard");
  CHECK_EQ(pending(*d), counts{});
  REQUIRE_EQ(saved(*d, {request(1, "c-1", "default:1", "k1")}),
             outcomes{stored(1)});
  // Reusing a stored id under another key, also within one batch.
  check_invalid({request(3, "c-1"), request(1, "c-1", "default:1", "k9")},
                "request 1 is stored already for another entity or primary "
                "key");
  check_invalid({request(4, "c-1", "default:1", "a"),
                 request(4, "c-2", "default:1", "a")},
                "request 4 is stored already for another entity or primary "
                "key");
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), ids{1});
  auto err = d->save_state(state_row{"Counter", "", "x"},
                           fence{"default:1", 0});
  CHECK(err == errc::invalid_argument);
  CHECK_EQ(message_of(err),
           "a durable state needs an entity type and an entity id");
  err = d->save_state(state_row{"Counter", "c-1", "x"}, fence{"", 0});
  CHECK_EQ(message_of(err), "a fence needs a shard");
  CHECK_EQ(state_of(*d, "c-1"), std::nullopt);
}

TEST_CASE_TEMPLATE("pending counts group by shard and entity type", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  auto timer = request(5, "t-1", "default:2");
  timer.entity_type = "Timer";
  timer.deliver_at_ms = t0 + 1'000'000;
  REQUIRE_EQ(saved(*d,
                   {request(1, "c-1", "default:2"),
                    request(2, "c-2", "default:10"), request(3, "c-1"),
                    request(4, "c-3", "default:2"), timer})
               .size(),
             5u);
  REQUIRE_EQ(replied(*d, {reply_to(3, "")}), std::vector<std::string>{""});
  CHECK_EQ(pending(*d),
           counts{{"default:10", "Counter", 1},
                  {"default:2", "Counter", 2},
                  {"default:2", "Timer", 1, t0 + 1'000'000}});
}

TEST_CASE_TEMPLATE("pending counts name the earliest deliver_at of a group", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d = backend.open();
  // Ticks of a cron-like type: one processed below all others, one due at
  // t0, two not yet due, and one in another shard.
  auto tick = [](int64_t id, int64_t at, std::string shard = "default:1") {
    auto row = request(id, "t-" + std::to_string(id), std::move(shard));
    row.entity_type = "Tick";
    row.deliver_at_ms = at;
    return row;
  };
  REQUIRE_EQ(saved(*d,
                   {tick(1, t0 + 5'000), tick(2, t0 - 900), tick(3, t0 + 300),
                    tick(4, t0 - 200), tick(5, t0 + 700, "default:2"),
                    request(6, "c-1")})
               .size(),
             6u);
  REQUIRE_EQ(replied(*d, {reply_to(2, "")}), std::vector<std::string>{""});
  // Request 6 is for at once: its group's earliest is 0.
  CHECK_EQ(pending(*d), counts{{"default:1", "Counter", 1, 0},
                               {"default:1", "Tick", 3, t0 - 200},
                               {"default:2", "Tick", 1, t0 + 700}});
  // Claims change nothing; the due tick's reply moves the group on to the
  // earliest tick not yet due.
  CHECK_EQ(claimed_ids(*d, all_shards(), t0), ids{4, 6});
  CHECK_EQ(pending(*d), counts{{"default:1", "Counter", 1, 0},
                               {"default:1", "Tick", 3, t0 - 200},
                               {"default:2", "Tick", 1, t0 + 700}});
  REQUIRE_EQ(replied(*d, {reply_to(4, ""), reply_to(6, "")}),
             std::vector<std::string>(2, ""));
  CHECK_EQ(pending(*d), counts{{"default:1", "Tick", 2, t0 + 300},
                               {"default:2", "Tick", 1, t0 + 700}});
  REQUIRE_EQ(replied(*d, {reply_to(3, ""), reply_to(1, "")}),
             std::vector<std::string>(2, ""));
  CHECK_EQ(pending(*d), counts{{"default:2", "Tick", 1, t0 + 700}});
}

TEST_CASE_TEMPLATE("drivers on one storage see each other's writes", B,
                   memory_backend, sqlite_backend, postgres_backend) {
  B backend;
  auto d1 = backend.open();
  auto d2 = backend.open();
  REQUIRE_EQ(saved(*d1, {request(1, "c-1", "default:1", "k")}),
             outcomes{stored(1)});
  CHECK_EQ(saved(*d2, {request(2, "c-1", "default:1", "k")}),
           outcomes{duplicate_of(1)});
  CHECK_EQ(claimed_ids(*d2, all_shards(), t0), ids{1});
  CHECK_EQ(claimed_ids(*d1, all_shards(), t0 + 1), ids{});
  auto write = reply_to(1, "done");
  write.state = state_row{"Counter", "c-1", "1"};
  REQUIRE_EQ(replied(*d2, {write}), std::vector<std::string>{""});
  CHECK_EQ(reply_of(*d1, 1), reply_row{1, true, "done"});
  CHECK_EQ(state_of(*d1, "c-1"), "1");
}

} // TEST_SUITE
