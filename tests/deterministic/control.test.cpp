// Who may steer a runner: shard maps, shutdowns and exit messages are taken
// only from the runner's own actors, and what a peer can make look like one
// (no sender at all, the router itself, an actor CAF registered for the
// network) is dropped and logged. A router that stops takes its runner out of
// the cluster. Entity ids and payloads beyond the configured limits are
// refused by the sender and again by a receiving router.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor_registry.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/local_sender.hpp"
#include "caf_cluster/internal/router_actor.hpp"
#include "caf_cluster/internal/send_limits.hpp"
#include "caf_cluster/internal/sharding_access.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf_cluster/shard_id.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"

using namespace std::chrono_literals;
using caf_cluster::errc;
using caf_cluster::testing::cluster_fixture;
using caf_cluster::testing::keyed_add;
using caf_cluster::testing::reply_slot;
using namespace caf_cluster::testing::steps;
namespace internal = caf_cluster::internal;

namespace {

internal::router_actor router_of(cluster_fixture& f, size_t i) {
  return internal::sharding_access::state(f.runner(i))->router;
}

caf::strong_actor_ptr ptr_of(const internal::router_actor& x) {
  return caf::actor_cast<caf::strong_actor_ptr>(x);
}

// Helper actors of a test; they are stopped with it (the actor system waits
// for every actor).
struct helpers {
  explicit helpers(cluster_fixture& f) : f(f) {
    // nop
  }

  ~helpers() {
    for (auto& x : all)
      caf::anon_send_exit(x, caf::exit_reason::kill);
    f.run();
  }

  // An ordinary actor of the test process.
  caf::strong_actor_ptr plain() {
    auto x = f.sys.spawn([]() -> caf::behavior {
      return {[](int) {}};
    });
    all.push_back(x);
    return caf::actor_cast<caf::strong_actor_ptr>(x);
  }

  // An actor that CAF registered, as it does every actor that sent something
  // over the network: a peer can name it as a sender.
  caf::strong_actor_ptr registered() {
    auto ptr = plain();
    f.sys.registry().put(ptr->id(), ptr);
    return ptr;
  }

  cluster_fixture& f;
  std::vector<caf::actor> all;
};

// Delivers `msg` to `dest` as if `sender` had sent it (null: anonymous).
void deliver_as(cluster_fixture& f, const caf::strong_actor_ptr& sender,
                const internal::router_actor& dest, caf::message msg) {
  ptr_of(dest)->enqueue(sender, caf::make_message_id(), std::move(msg),
                        nullptr);
  f.run();
}

// The senders a peer can produce on this node: none, the router itself and
// a registered actor.
std::vector<caf::strong_actor_ptr>
peer_senders(helpers& h, const internal::router_actor& r) {
  return {nullptr, ptr_of(r), h.registered()};
}

// Whether a send through runner `via` to an entity runner `owner` serves gets
// its reply.
bool served_across(cluster_fixture& f, size_t via, size_t owner, int start) {
  auto slot = f.send(via, id_served_by(f, owner, start), 1);
  await_replies(f, {slot});
  return slot->has_value() && slot->value();
}

std::string render(cluster_fixture& f, const reply_slot& slot) {
  REQUIRE(slot->has_value());
  REQUIRE_FALSE(slot->value());
  return f.sys.render(slot->value().error());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("control") {

  TEST_CASE("a shard map from anyone but the runner's shard manager is "
            "dropped: routing stays as it was") {
    cluster_fixture f{2};
    REQUIRE(settled(f));
    auto router = router_of(f, 0);
    auto forged = caf::make_message(
      internal::assignments_atom::value, f.config().shard_groups.front(),
      std::vector<std::string>(static_cast<size_t>(f.config().shards_per_group),
                               "10.6.6.6:4000"),
      int32_t{1});
    helpers h{f};
    auto senders = peer_senders(h, router);
    // Also an ordinary actor of this process: not the shard manager.
    senders.push_back(h.plain());
    for (auto& sender : senders)
      deliver_as(f, sender, router, forged);
    // A poisoned map would send these to 10.6.6.6 until the next change.
    for (int k = 0; k < 5; ++k)
      CHECK(served_across(f, 0, 1, k * 100));
    CHECK(f.log_lines(0, "dropped a shard map").size() >= 1);
    REQUIRE(settled(f));
  }

  TEST_CASE("a shutdown message from outside the runner is dropped") {
    cluster_fixture f{2};
    REQUIRE(settled(f));
    auto router = router_of(f, 0);
    helpers h{f};
    for (auto& sender : peer_senders(h, router))
      deliver_as(f, sender, router,
                 caf::make_message(internal::shutdown_atom::value));
    f.advance(1s);
    CHECK(served_across(f, 0, 1, 0));
    CHECK(served_across(f, 1, 0, 0));
    CHECK(f.log_lines(0, "dropped a shutdown message").size() >= 1);
    REQUIRE(settled(f));
  }

  TEST_CASE("exit and error messages from outside the runner do not stop the "
            "router") {
    cluster_fixture f{2};
    REQUIRE(settled(f));
    auto router = router_of(f, 0);
    helpers h{f};
    for (auto reason :
         {caf::exit_reason::user_shutdown, caf::exit_reason::kill}) {
      // What a peer's send_exit and anon_send_exit look like here.
      caf::anon_send_exit(router, reason);
      for (auto& sender : peer_senders(h, router))
        deliver_as(f, sender, router,
                   caf::make_message(caf::exit_msg{
                     caf::actor_cast<caf::actor_addr>(sender), reason}));
    }
    // CAF stops an actor on an error message it did not ask for by default.
    deliver_as(f, nullptr, router,
               caf::make_message(caf::make_error(caf::sec::runtime_error)));
    f.run();
    f.advance(1s);
    CHECK(served_across(f, 0, 1, 0));
    CHECK(served_across(f, 1, 0, 0));
    CHECK(f.log_lines(0, "dropped an exit message").size() >= 1);
    CHECK(f.log_lines(0, "dropped a kill").size() >= 1);
    REQUIRE(settled(f));
  }

  TEST_CASE("a router that stops takes its runner out of the cluster") {
    cluster_fixture f{2};
    REQUIRE(settled(f));
    auto drained = f.runner(0).shutdown_requested();
    // An actor of the runner may stop it (as a crash of the router would).
    internal::exit_locally(f.sys, router_of(f, 0), caf::exit_reason::kill);
    f.run();
    // The runner leaves: its leases are released and its row removed, so
    // runner 1 takes every shard; nothing keeps being refreshed by runner 0.
    auto took = advance_until(f, [&] {
      for (int32_t i = 1; i <= f.config().shards_per_group; ++i) {
        auto holder = f.lease_holder(i);
        if (!holder || *holder != f.address(1))
          return false;
      }
      return true;
    });
    REQUIRE(took);
    MESSAGE(
      "runner 1 holds every shard "
      << std::chrono::duration_cast<std::chrono::milliseconds>(*took).count()
      << " ms after runner 0's router stopped");
    CHECK(*took < 2s); // released, not left to lapse (lease 2 s)
    for (int32_t i = 1; i <= f.config().shards_per_group; ++i)
      CHECK(f.servers(i) == std::vector<size_t>{1});
    auto rows = f.runner_storage()->all_runners();
    REQUIRE(rows);
    for (auto& row : *rows)
      CHECK(row.address != f.address(0));
    CHECK(f.log_lines(0, "the router stopped").size() == 1);
    CHECK(drained.wait_for(0s) == std::future_status::ready);
    CHECK(served_across(f, 1, 1, 0));
  }

  TEST_CASE("an entity id longer than cluster.max-entity-id-length is refused "
            "by the sender, naming the length and the limit") {
    cluster_fixture f{2};
    REQUIRE(settled(f));
    auto slot = f.send(0, std::string(1025, 'x'), 1);
    auto text = render(f, slot);
    CHECK(contains(text, "invalid_argument"));
    CHECK(contains(text,
                   "entity id of 1025 bytes exceeds "
                   "cluster.max-entity-id-length (1024)"));
    // The limit itself is fine.
    auto ok = f.send(0, std::string(1024, 'x'), 1);
    await_replies(f, {ok});
    REQUIRE(ok->has_value());
    CHECK(ok->value());
  }

  TEST_CASE("a payload larger than cluster.max-message-size is refused by the "
            "sender, naming both sizes") {
    auto cfg = cluster_fixture::default_config();
    cfg.max_message_size = 4096;
    cluster_fixture f{2, cfg};
    REQUIRE(settled(f));
    auto slot = f.send_ledger(0, "big", keyed_add{1, std::string(5000, 'k')});
    auto text = render(f, slot);
    CHECK(contains(text, "message_too_large"));
    CHECK(contains(text, "exceeds cluster.max-message-size (4096)"));
    CHECK(contains(text, "payload of 50"));
    auto ok = f.send_ledger(0, "small", keyed_add{1, std::string(100, 'k')});
    await_replies(f, {ok});
    REQUIRE(ok->has_value());
    CHECK(ok->value());
  }

  TEST_CASE("a receiving router refuses a peer's envelopes beyond the limits "
            "and serves the rest") {
    auto cfg = cluster_fixture::default_config();
    cfg.max_message_size = 4096;
    cluster_fixture f{2, cfg};
    REQUIRE(settled(f));
    // A hostile peer skips the client code: it sends the batch itself.
    auto make = [&](uint64_t job, std::string id, caf::message payload) {
      internal::envelope x;
      x.job = job;
      x.attempt = 1;
      x.send.entity_type = "Tally";
      x.send.shard_index = caf_cluster::make_shard_id(id, "default", 30)->index;
      x.send.entity_id = std::move(id);
      x.send.payload = std::move(payload);
      x.send.timeout = 3s;
      return x;
    };
    std::vector<internal::envelope> batch;
    batch.push_back(
      make(1, std::string(1025, 'y'), caf::make_message(int64_t{1})));
    batch.push_back(
      make(2, id_served_by(f, 0), caf::make_message(std::string(5000, 'p'))));
    batch.push_back(make(3, id_served_by(f, 0), caf::make_message(int64_t{7})));
    auto replies = std::make_shared<std::vector<internal::reply_envelope>>();
    auto router = router_of(f, 0);
    f.sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
      self->send(router, internal::deliver_batch_atom::value, batch);
      return {
        [=](internal::reply_batch_atom,
            std::vector<internal::reply_envelope>& xs) {
          for (auto& x : xs)
            replies->push_back(std::move(x));
        },
      };
    });
    f.run();
    f.advance(100ms);
    REQUIRE(replies->size() == 3);
    for (auto& x : *replies) {
      INFO("job " << x.job);
      if (x.job == 3) {
        REQUIRE(x.reply.match_elements<int64_t>());
        CHECK(x.reply.get_as<int64_t>(0) == 7);
        continue;
      }
      REQUIRE(x.reply.match_elements<caf::error>());
      auto text = f.sys.render(x.reply.get_as<caf::error>(0));
      if (x.job == 1)
        CHECK(contains(text,
                       "entity id of 1025 bytes exceeds "
                       "cluster.max-entity-id-length (1024)"));
      else
        CHECK(contains(text, "exceeds cluster.max-message-size (4096)"));
    }
  }

  TEST_CASE("sends that fit the limit one by one leave in batches that fit it "
            "too (a batch is one network frame)") {
    auto cfg = cluster_fixture::default_config();
    cfg.max_message_size = 4096;
    cluster_fixture f{2, cfg};
    REQUIRE(settled(f));
    // Three sends of 1.5 KB in one turn of runner 1's router, all for
    // runner 0: one batch would carry 4.5 KB.
    auto client = f.runner(1).make_client(caf_cluster::testing::ledger_entity());
    auto id = id_served_by(f, 0);
    auto replies = std::make_shared<std::vector<int64_t>>();
    f.sys.spawn([=](caf::event_based_actor* self) {
      for (int i = 0; i < 3; ++i)
        client
          .request(self, id,
                   keyed_add{1, std::string(1500, static_cast<char>('a' + i))},
                   3s)
          .then([=](int64_t x) { replies->push_back(x); });
    });
    // Every batch router 0 receives, with the bytes its payloads and ids carry.
    auto router = ptr_of(router_of(f, 0));
    std::vector<std::pair<size_t, size_t>> batches;
    while (f.sched.has_job()) {
#ifndef __SANITIZE_ADDRESS__
      // The sanitizer build (ASan + UBSan) only runs the sends: peeking into
      // a CAF 0.17 mailbox makes UBSan flag a downcast inside CAF's queue.
      auto& next = f.sched.next_job<caf::scheduled_actor>();
      if (caf::actor_cast<caf::strong_actor_ptr>(&next) == router) {
        auto head = next.mailbox().peek();
        if (head != nullptr
            && head->content()
                 .match_elements<internal::deliver_batch_atom,
                                 std::vector<internal::envelope>>()) {
          auto& xs = head->content().get_as<std::vector<internal::envelope>>(1);
          size_t bytes = 0;
          for (auto& x : xs)
            bytes += internal::payload_size(x.send.payload)
                     + x.send.entity_id.size();
          batches.emplace_back(xs.size(), bytes);
        }
      }
#endif
      f.sched.try_run_once();
    }
    f.advance(100ms);
    CHECK(replies->size() == 3);
    size_t sends = 0;
    for (auto& [count, bytes] : batches) {
      INFO(count << " sends, " << bytes << " bytes");
      CHECK(bytes <= 4096);
      sends += count;
    }
#ifndef __SANITIZE_ADDRESS__
    CHECK(sends == 3);
    CHECK(batches.size() >= 2);
#endif
  }
}
