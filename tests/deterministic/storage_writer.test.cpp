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
#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"

#include "deterministic/test_fixture.hpp"

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
  bool fail = false;

  caf::expected<std::vector<storage::save_outcome>>
  save_requests(const std::vector<storage::request_row>& rows) override {
    request_batches.push_back(rows.size());
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
  caf::error purge_entity(const std::string& type,
                          const std::string& id) override {
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
