// Group commit: saves that reach the storage writer in one mailbox turn go to
// storage in one call; every caller gets its own results, or
// persistence_error when storage fails; a graceful stop commits what is open.
#include <doctest/doctest.h>

#include <memory>
#include <optional>

#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/storage_writer.hpp"
#include "caf_cluster/message_storage.hpp"
#include "caf_cluster/snowflake_generator.hpp"
#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"
#include "caf_cluster/wall_clock.hpp"

#include "deterministic/test_fixture.hpp"
#include "storage/temp_dir.hpp"

using namespace caf_cluster;
using caf_cluster::detail::save_replies_atom;
using caf_cluster::detail::save_requests_atom;

namespace {

// Counts calls and can fail them, around a memory driver.
class counting_driver final : public storage::message_driver {
public:
  std::unique_ptr<storage::message_driver> inner
    = storage::make_memory_message_driver();
  std::vector<size_t> request_batches;
  std::vector<size_t> reply_batches;
  std::vector<std::string> calls;
  bool fail = false;

  caf::expected<std::vector<storage::save_outcome>>
  save_requests(const std::vector<storage::request_row>& rows) override {
    request_batches.push_back(rows.size());
    calls.push_back("save " + std::to_string(rows.size()));
    if (fail)
      return caf::make_error(storage::errc::busy, "database is locked");
    return inner->save_requests(rows);
  }
  caf::expected<std::vector<caf::error>>
  save_replies(const std::vector<storage::reply_write>& writes) override {
    reply_batches.push_back(writes.size());
    if (fail)
      return caf::make_error(storage::errc::busy, "database is locked");
    return inner->save_replies(writes);
  }
  caf::expected<std::optional<storage::reply_row>>
  reply_for(int64_t id) override {
    return inner->reply_for(id);
  }
  caf::expected<std::vector<storage::request_row>>
  claim_unprocessed(const std::vector<std::string>& shards, int64_t now,
                    int64_t claim, size_t limit) override {
    return inner->claim_unprocessed(shards, now, claim, limit);
  }
  caf::expected<std::vector<storage::request_row>>
  unprocessed_for_entity(const std::string& type, const std::string& id,
                         int64_t now, size_t limit) override {
    return inner->unprocessed_for_entity(type, id, now, limit);
  }
  caf::error reset_claims(const std::vector<std::string>& shards) override {
    return inner->reset_claims(shards);
  }
  caf::expected<std::optional<std::string>>
  load_state(const std::string& type, const std::string& id) override {
    return inner->load_state(type, id);
  }
  caf::error save_state(const storage::state_row& s,
                        const storage::fence& f) override {
    return inner->save_state(s, f);
  }
  caf::expected<std::vector<storage::pending_count>> pending_counts() override {
    return inner->pending_counts();
  }
  caf::expected<std::vector<storage::state_row>>
  list_states(const std::string& prefix, size_t limit) override {
    return inner->list_states(prefix, limit);
  }
  caf::error transact_state(const storage::fence& by, const std::string& type,
                            const std::string& id,
                            const state_work& work) override {
    calls.push_back("transact " + id);
    return inner->transact_state(by, type, id, work);
  }
  caf::error purge_entity(const std::string& type,
                          const std::string& id) override {
    calls.push_back("purge " + id);
    if (fail)
      return caf::make_error(storage::errc::busy, "database is locked");
    return inner->purge_entity(type, id);
  }
};

storage::request_row row(int64_t id, std::string key) {
  storage::request_row r;
  r.request_id = id;
  r.entity_type = "Counter";
  r.entity_id = "c-" + std::to_string(id % 3);
  r.shard = "default:1";
  r.tag = "counter.increment";
  r.payload = "p" + std::to_string(id);
  r.primary_key = std::move(key);
  return r;
}

using outcomes = std::optional<caf::expected<std::vector<storage::save_outcome>>>;

struct writer_fixture : testing::fixture {
  std::shared_ptr<counting_driver> driver = std::make_shared<counting_driver>();
  detail::storage_writer_actor writer
    = internal::spawn_storage_writer(sys, driver, false);

  // Sends one save from a fresh actor; the slot fills once the scheduler ran.
  std::shared_ptr<outcomes> save(std::vector<storage::request_row> rows) {
    auto slot = std::make_shared<outcomes>();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(writer, caf::infinite, save_requests_atom::value, rows)
        .then([slot](std::vector<storage::save_outcome>& xs) { *slot = xs; },
              [slot](caf::error& err) { *slot = err; });
    });
    return slot;
  }
};

} // namespace

TEST_CASE_FIXTURE(writer_fixture, "saves of one mailbox turn share one commit") {
  std::vector<std::shared_ptr<outcomes>> slots;
  for (int i = 1; i <= 10; ++i)
    slots.push_back(save({row(i, "k" + std::to_string(i))}));
  // A retry of caller 3's key (same entity c-0, same key) in the same turn.
  slots.push_back(save({row(33, "k3")}));
  run();
  REQUIRE(driver->request_batches == std::vector<size_t>{11});
  for (int i = 0; i < 10; ++i) {
    REQUIRE(slots[i]->has_value());
    REQUIRE(slots[i]->value());
    REQUIRE(slots[i]->value()->size() == 1);
    CHECK(!slots[i]->value()->front().duplicate);
    CHECK(slots[i]->value()->front().request_id == i + 1);
  }
  auto& dup = slots.back()->value()->front();
  CHECK(dup.duplicate);
  CHECK(dup.request_id == 3);
  // The next turn is the next commit.
  auto later = save({row(40, "k40"), row(41, "k41")});
  run();
  CHECK(driver->request_batches == std::vector<size_t>{11, 2});
  CHECK(later->value()->size() == 2);
}

TEST_CASE_FIXTURE(writer_fixture, "a storage failure reaches every caller as persistence_error") {
  driver->fail = true;
  auto a = save({row(1, "a")});
  auto b = save({row(2, "b"), row(3, "c")});
  run();
  for (auto& slot : {a, b}) {
    REQUIRE(slot->has_value());
    REQUIRE(!slot->value());
    CHECK(slot->value().error() == errc::persistence_error);
    CHECK(testing::render(slot->value().error()).find("database is locked")
          != std::string::npos);
  }
  // Nothing acknowledged was stored: the rows are not in storage.
  driver->fail = false;
  auto again = save({row(1, "a")});
  run();
  REQUIRE(again->value());
  CHECK(!again->value()->front().duplicate);
}

TEST_CASE_FIXTURE(writer_fixture, "batches close at max_batch rows") {
  std::vector<storage::request_row> big;
  for (int i = 1; i <= static_cast<int>(internal::max_batch); ++i)
    big.push_back(row(i, "k" + std::to_string(i)));
  auto first = save(big);
  auto second = save({row(5000, "k5000")});
  run();
  CHECK(driver->request_batches
        == std::vector<size_t>{internal::max_batch, 1});
  REQUIRE(first->value());
  CHECK(first->value()->size() == internal::max_batch);
  REQUIRE(second->value());
}

TEST_CASE_FIXTURE(writer_fixture, "replies are group-committed and fenced per write") {
  save({row(1, "a"), row(2, "b")});
  run();
  std::vector<storage::reply_write> writes(2);
  writes[0].reply = {1, true, "r1"};
  writes[0].by = {"default:1", 0};
  writes[1].reply = {1, true, "again"}; // a second reply for request 1
  writes[1].by = {"default:1", 0};
  auto slot = std::make_shared<std::optional<caf::expected<std::vector<caf::error>>>>();
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(writer, caf::infinite, save_replies_atom::value, writes)
      .then([slot](std::vector<caf::error>& xs) { *slot = xs; },
            [slot](caf::error& err) { *slot = err; });
  });
  run();
  CHECK(driver->reply_batches == std::vector<size_t>{2});
  REQUIRE(slot->has_value());
  REQUIRE(slot->value());
  REQUIRE(slot->value()->size() == 2);
  CHECK(!(*slot->value())[0]);
  CHECK((*slot->value())[1]);
}

TEST_CASE_FIXTURE(writer_fixture, "reads see the writes requested before them") {
  using detail::claim_atom;
  using detail::load_state_atom;
  using detail::reply_for_atom;
  std::vector<storage::reply_write> writes(1);
  writes[0].reply = {1, true, "r1"};
  writes[0].by = {"default:1", 0};
  writes[0].state = storage::state_row{"Counter", "c-1", "state-1"};
  auto state = std::make_shared<std::optional<std::string>>();
  auto reply = std::make_shared<std::optional<std::string>>();
  auto claimed = std::make_shared<std::vector<int64_t>>();
  // One actor sends everything in one turn: saves, then reads.
  sys.spawn([=](caf::event_based_actor* self) {
    self->send(writer, save_requests_atom::value,
               std::vector<storage::request_row>{row(1, "a"), row(2, "b"),
                                                 row(3, "c")});
    self->send(writer, save_replies_atom::value, writes);
    self->request(writer, caf::infinite, load_state_atom::value,
                  std::string{"Counter"}, std::string{"c-1"})
      .then([=](bool found, std::string& x) {
        if (found)
          *state = x;
      });
    self->request(writer, caf::infinite, reply_for_atom::value, int64_t{1})
      .then([=](bool found, bool ok, std::string& x) {
        if (found && ok)
          *reply = x;
      });
    self->request(writer, caf::infinite, claim_atom::value,
                  std::vector<std::string>{"default:1"}, int64_t{1000},
                  int64_t{60'000}, uint64_t{10})
      .then([=](std::vector<storage::request_row>& rows) {
        for (auto& r : rows)
          claimed->push_back(r.request_id);
      });
  });
  run();
  CHECK(*state == std::optional<std::string>{"state-1"});
  CHECK(*reply == std::optional<std::string>{"r1"});
  // Request 1 has its reply; 2 and 3 are unprocessed, in id order.
  CHECK(*claimed == std::vector<int64_t>{2, 3});
}

TEST_CASE_FIXTURE(writer_fixture, "a graceful stop commits the open batch first") {
  // The stop reaches the writer after a save nobody waits for (a tell_at)
  // but before the flush the writer sends itself for it.
  sys.spawn([=](caf::event_based_actor* self) {
    self->send(writer, save_requests_atom::value,
               std::vector<storage::request_row>{row(1, "a")});
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  });
  run();
  CHECK(driver->request_batches == std::vector<size_t>{1});
  auto stored = driver->inner->unprocessed_for_entity("Counter", "c-1", 1000,
                                                      10);
  REQUIRE(stored);
  REQUIRE(stored->size() == 1);
  CHECK(stored->front().request_id == 1);
}

namespace {

using errors = std::vector<std::string>;

// The typed message storage over a writer on `driver`; the fenced shards it
// reports land in `fenced`.
struct typed_fixture : testing::fixture {
  std::shared_ptr<storage::message_driver> driver;
  detail::storage_writer_actor writer;
  std::shared_ptr<errors> fenced = std::make_shared<errors>();
  message_storage ms;

  explicit typed_fixture(std::shared_ptr<storage::message_driver> d)
    : driver(std::move(d)),
      writer(internal::spawn_storage_writer(sys, driver, false)),
      ms(sys, writer,
         std::make_shared<snowflake_generator>(
           std::make_shared<manual_wall_clock>(1'700'000'000'000), 1),
         "default", 10, [f = fenced](const std::string& shard, int64_t epoch) {
           f->push_back(shard + "@" + std::to_string(epoch));
         }) {
    // nop
  }

  // Saves `rows` (nobody waits) and then runs `work` for `Flow/<id>` in one
  // turn of a fresh actor; the slot holds the result once the scheduler ran.
  std::shared_ptr<std::optional<caf::error>>
  transact(storage::fence by, std::string id,
           storage::message_driver::state_work work,
           std::vector<storage::request_row> rows = {}) {
    auto slot = std::make_shared<std::optional<caf::error>>();
    auto m = ms;
    auto w = writer;
    sys.spawn([=](caf::event_based_actor* self) {
      // Requested, not sent: an actor without a behavior bounces a reply it
      // does not await back to the writer as an error.
      if (!rows.empty())
        self->request(w, caf::infinite, save_requests_atom::value, rows)
          .then([](std::vector<storage::save_outcome>&) {}, [](caf::error&) {});
      m.transact_state(self, by, "Flow", id, work, [slot](caf::error err) {
        *slot = std::move(err);
      });
    });
    run();
    return slot;
  }

  std::shared_ptr<std::optional<caf::error>> purge(std::string type,
                                                   std::string id) {
    auto slot = std::make_shared<std::optional<caf::error>>();
    auto m = ms;
    sys.spawn([=](caf::event_based_actor* self) {
      m.purge_entity(self, type, id, [slot](caf::error err) {
        *slot = std::move(err);
      });
    });
    run();
    return slot;
  }

  std::optional<std::string> state_of(const std::string& type,
                                      const std::string& id) {
    auto x = driver->load_state(type, id);
    REQUIRE(x);
    return *x;
  }
};

// The directory must exist before the driver opens its file in it.
struct with_temp_dir {
  storage::test::temp_dir dir;
};

struct sqlite_typed_fixture : with_temp_dir, typed_fixture {
  static std::shared_ptr<storage::message_driver>
  open(const storage::test::temp_dir& dir) {
    auto d = storage::make_sqlite_message_driver(dir.file("cluster.db"));
    REQUIRE(d);
    return std::move(*d);
  }

  sqlite_typed_fixture() : typed_fixture(open(dir)) {
    // nop
  }
};

storage::request_row flow_row(int64_t id, std::string entity) {
  auto r = row(id, "k" + std::to_string(id));
  r.entity_type = "Flow";
  r.entity_id = std::move(entity);
  return r;
}

// Work that counts its runs and returns `state`, or `err` if set.
storage::message_driver::state_work
counted(std::shared_ptr<int> runs, std::string state, caf::error err = {}) {
  return [=](storage::sql_transaction&) -> caf::expected<std::string> {
    ++*runs;
    if (err)
      return err;
    return state;
  };
}

} // namespace

TEST_CASE_FIXTURE(
  sqlite_typed_fixture,
  "transact_state commits the work's state after earlier saves") {
  auto runs = std::make_shared<int>(0);
  auto done = transact({"default:1", 0}, "f-1", counted(runs, "journal-1"),
                       {flow_row(1, "f-1")});
  REQUIRE(done->has_value());
  CHECK_MESSAGE(!**done, testing::render(**done));
  CHECK(*runs == 1);
  CHECK(state_of("Flow", "f-1") == std::optional<std::string>{"journal-1"});
  // The save sent before it in the same turn was committed first.
  auto stored = driver->unprocessed_for_entity("Flow", "f-1", 1000, 10);
  REQUIRE(stored);
  REQUIRE(stored->size() == 1);
  CHECK(stored->front().request_id == 1);
  CHECK(fenced->empty());
}

TEST_CASE_FIXTURE(
  sqlite_typed_fixture,
  "the work's own error comes back unchanged and stores nothing") {
  auto runs = std::make_shared<int>(0);
  REQUIRE(!**transact({"default:1", 0}, "f-1", counted(runs, "before")));
  // A storage-category error from the work is the work's, too.
  for (auto err : {caf::make_error(errc::entity_failed, "card declined"),
                   caf::make_error(storage::errc::busy, "own busy")}) {
    auto done = transact({"default:1", 0}, "f-1", counted(runs, "after", err));
    REQUIRE(done->has_value());
    CHECK(**done == err);
    CHECK(testing::render(**done) == testing::render(err));
  }
  CHECK(*runs == 3);
  CHECK(state_of("Flow", "f-1") == std::optional<std::string>{"before"});
  // A throw is a storage failure that names it.
  auto throwing = [](storage::sql_transaction&) -> caf::expected<std::string> {
    throw std::runtime_error("gateway timed out");
  };
  auto done = transact({"default:1", 0}, "f-1", throwing);
  REQUIRE(done->has_value());
  CHECK(**done == errc::persistence_error);
  CHECK(testing::render(**done).find("gateway timed out") != std::string::npos);
  CHECK(state_of("Flow", "f-1") == std::optional<std::string>{"before"});
}

TEST_CASE_FIXTURE(sqlite_typed_fixture,
                  "a fenced transact_state runs nothing and stops the shard") {
  auto runners = storage::make_sqlite_runner_driver(dir.file("cluster.db"));
  REQUIRE(runners);
  REQUIRE((*runners)->acquire("a:1", {"default:1"}, 0, 1000)->size() == 1);
  REQUIRE(!(*runners)->release("a:1", {"default:1"}));
  auto grants = (*runners)->acquire("b:1", {"default:1"}, 0, 1000);
  REQUIRE(grants);
  REQUIRE(grants->size() == 1);
  REQUIRE(grants->front().epoch == 2);
  auto runs = std::make_shared<int>(0);
  auto done = transact({"default:1", 1}, "f-1", counted(runs, "stale"));
  REQUIRE(done->has_value());
  CHECK(**done == storage::errc::fenced);
  CHECK(testing::render(**done).find(
          "shard default:1 has epoch 2, newer than the writer's epoch 1")
        != std::string::npos);
  CHECK(*runs == 0);
  CHECK(*fenced == errors{"default:1@1"});
  CHECK(state_of("Flow", "f-1") == std::nullopt);
}

TEST_CASE("transact_state on memory storage is errc::unsupported") {
  typed_fixture f{storage::make_memory_message_driver()};
  auto runs = std::make_shared<int>(0);
  auto done = f.transact({"default:1", 0}, "f-1", counted(runs, "x"));
  REQUIRE(done->has_value());
  CHECK(**done == errc::unsupported);
  CHECK(testing::render(**done).find(
          "the memory message storage has no SQL database to run work in")
        != std::string::npos);
  CHECK(*runs == 0);
  CHECK(f.fenced->empty());
}

TEST_CASE_FIXTURE(sqlite_typed_fixture,
                  "purge_entity deletes an entity's messages and state") {
  auto runs = std::make_shared<int>(0);
  REQUIRE(!**transact({"default:1", 0}, "f-1", counted(runs, "journal"),
                      {flow_row(1, "f-1"), flow_row(2, "f-2")}));
  auto done = purge("Flow", "f-1");
  REQUIRE(done->has_value());
  CHECK_MESSAGE(!**done, testing::render(**done));
  CHECK(state_of("Flow", "f-1") == std::nullopt);
  auto gone = driver->unprocessed_for_entity("Flow", "f-1", 1000, 10);
  REQUIRE(gone);
  CHECK(gone->empty());
  auto kept = driver->unprocessed_for_entity("Flow", "f-2", 1000, 10);
  REQUIRE(kept);
  CHECK(kept->size() == 1);
  // Nothing left to purge is no error.
  CHECK(!**purge("Flow", "f-1"));
}

TEST_CASE("transact_state and purge_entity follow the saves requested before") {
  auto d = std::make_shared<counting_driver>();
  typed_fixture f{d};
  auto results = std::make_shared<std::vector<caf::error>>();
  auto ms = f.ms;
  auto w = f.writer;
  auto record = [results](caf::error err) {
    results->push_back(std::move(err));
  };
  // One turn: save, transact, save, purge.
  f.sys.spawn([=](caf::event_based_actor* self) {
    auto ignore = [](std::vector<storage::save_outcome>&) {};
    auto fail = [](caf::error&) {};
    self
      ->request(w, caf::infinite, save_requests_atom::value,
                std::vector<storage::request_row>{flow_row(1, "f-1")})
      .then(ignore, fail);
    ms.transact_state(self, {"default:1", 0}, "Flow", "f-1",
                      counted(std::make_shared<int>(0), "x"), record);
    self
      ->request(w, caf::infinite, save_requests_atom::value,
                std::vector<storage::request_row>{flow_row(2, "f-1"),
                                                  flow_row(3, "f-1")})
      .then(ignore, fail);
    ms.purge_entity(self, "Flow", "f-1", record);
  });
  f.run();
  CHECK(d->calls == errors{"save 1", "transact f-1", "save 2", "purge f-1"});
  // Memory storage: the transaction is unsupported, the purge works.
  REQUIRE(results->size() == 2);
  CHECK((*results)[0] == errc::unsupported);
  CHECK(!(*results)[1]);
  auto stored = d->inner->unprocessed_for_entity("Flow", "f-1", 1000, 10);
  REQUIRE(stored);
  CHECK(stored->empty());
}

TEST_CASE("purge_entity reports a storage failure as persistence_error") {
  auto d = std::make_shared<counting_driver>();
  typed_fixture f{d};
  d->fail = true;
  auto done = f.purge("Flow", "f-1");
  REQUIRE(done->has_value());
  CHECK(**done == errc::persistence_error);
  CHECK(testing::render(**done).find("database is locked")
        != std::string::npos);
}
