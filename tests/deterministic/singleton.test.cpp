// Singletons on several runners in one process (manual clock, deterministic
// scheduler): one instance at every step, on the holder of the name's shard;
// it moves after a crash within the failover bound and after a leave at once,
// restarts with back-off after it fails, and answers by name from any runner.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/sharding.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

using where_atom = caf::atom_constant<caf::atom("where")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using stall_atom = caf::atom_constant<caf::atom("stall")>;

// A singleton that says where it runs, fails on request, and dies holding
// a reply on request.
using leader_actor
  = caf::typed_actor<caf::replies_to<where_atom>::with<std::string>,
                     caf::reacts_to<fail_atom>,
                     caf::replies_to<stall_atom>::with<std::string>>;

// Live instances per runner, kept by the instances themselves.
struct census {
  std::map<size_t, int> running;
  int starts = 0;

  int total() const {
    int n = 0;
    for (auto& kvp : running)
      n += kvp.second;
    return n;
  }

  // The runner of the only instance, or -1.
  int where() const {
    int result = -1;
    for (auto& [runner, n] : running)
      if (n > 0)
        result = result == -1 && n == 1 ? static_cast<int>(runner) : -2;
    return result;
  }
};

using census_ptr = std::shared_ptr<census>;

leader_actor::behavior_type leader_impl(leader_actor::pointer self,
                                        census_ptr c, size_t runner,
                                        std::string address) {
  ++c->running[runner];
  ++c->starts;
  self->attach_functor([c, runner] { --c->running[runner]; });
  return {
    [=](where_atom) { return address; },
    [=](fail_atom) { self->quit(caf::make_error(errc::entity_failed, "test")); },
    [=](stall_atom) {
      auto rp = self->make_response_promise<std::string>();
      self->quit(caf::make_error(errc::entity_failed, "test"));
      return rp;
    },
  };
}

cluster_fixture::setup_fn register_leader(census_ptr c) {
  return [c](sharding& s, size_t i) {
    auto address = s.config().runner_address;
    auto err = s.register_singleton(
      "leader", [c, i, address](leader_actor::pointer self) {
        return leader_impl(self, c, i, address);
      });
    REQUIRE(!err);
  };
}

using text_slot = std::shared_ptr<std::optional<caf::expected<std::string>>>;

// Asks the leader where it runs, through runner `via`.
text_slot ask_leader(cluster_fixture& f, size_t via,
                     const std::string& name = "leader") {
  auto slot = std::make_shared<std::optional<caf::expected<std::string>>>();
  auto client = f.runner(via).make_singleton_client<leader_actor>(name);
  f.sys.spawn([=](caf::event_based_actor* self) {
    client.request(self, where_atom::value, 3s)
      .then([=](std::string& x) { *slot = std::move(x); },
            [=](caf::error& err) { *slot = std::move(err); });
  });
  f.run();
  return slot;
}

int32_t leader_shard(cluster_fixture& f) {
  return f.runner(0).shard_id("leader")->index;
}

int64_t singletons_in_metrics(cluster_fixture& f, size_t runners) {
  int64_t n = 0;
  for (size_t i = 0; i < runners; ++i)
    if (f.up(i))
      n += f.runner(i).metrics().singletons;
  return n;
}

// Advances until `pred` holds; at every step at most one instance runs.
template <class Pred>
std::optional<caf::timespan> step_until(cluster_fixture& f, const census& c,
                                        Pred pred, caf::timespan limit = 10s) {
  return advance_until(
    f,
    [&] {
      REQUIRE(c.total() <= 1);
      return pred();
    },
    limit);
}

} // namespace

TEST_CASE("a singleton runs once, on the holder of its name's shard") {
  auto c = std::make_shared<census>();
  cluster_fixture f{3, cluster_fixture::default_config(), register_leader(c)};
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; }));
  auto holder = f.servers(leader_shard(f));
  REQUIRE_EQ(holder.size(), 1u);
  CHECK_EQ(c->where(), static_cast<int>(holder.front()));
  CHECK_EQ(singletons_in_metrics(f, 3), 1);
  CHECK_EQ(f.runner(holder.front()).metrics().singletons, 1);
  // Reached by name from every runner.
  for (size_t via = 0; via < 3; ++via) {
    auto reply = ask_leader(f, via);
    advance_until(f, [&] { return reply->has_value(); });
    REQUIRE(reply->has_value());
    REQUIRE(reply->value());
    CHECK_EQ(*reply->value(), f.address(holder.front()));
  }
  // A name nobody registered is refused by its shard's holder.
  auto unknown = ask_leader(f, 0, "nobody");
  advance_until(f, [&] { return unknown->has_value(); });
  REQUIRE(unknown->has_value());
  REQUIRE(!unknown->value());
  CHECK_EQ(unknown->value().error(), errc::unknown_entity_type);
}

TEST_CASE("a crashed holder's singleton moves within the failover bound") {
  auto c = std::make_shared<census>();
  cluster_fixture f{3, cluster_fixture::default_config(), register_leader(c)};
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; }));
  auto old = static_cast<size_t>(c->where());
  f.crash(old);
  CHECK_EQ(c->total(), 0);
  auto took = step_until(f, *c, [&] { return c->total() == 1; });
  REQUIRE(took);
  MESSAGE("singleton back after " << took->count() / 1'000'000 << " ms");
  CHECK(*took <= 3s); // lease expiry (2 s) plus a refresh or two
  CHECK_NE(c->where(), static_cast<int>(old));
  // A message sent meanwhile reaches the new instance.
  auto reply = ask_leader(f, (old + 1) % 3);
  advance_until(f, [&] { return reply->has_value(); });
  REQUIRE(reply->has_value());
  REQUIRE(reply->value());
  CHECK_EQ(*reply->value(), f.address(static_cast<size_t>(c->where())));
  // The restarted runner may take the shard back: never two on the way.
  f.start(old);
  for (int i = 0; i < 50; ++i) {
    f.advance(step);
    REQUIRE(c->total() <= 1);
  }
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; }));
  CHECK_EQ(c->where(),
           static_cast<int>(f.servers(leader_shard(f)).front()));
}

TEST_CASE("a singleton stops before its lease lapses when refreshes stall") {
  auto c = std::make_shared<census>();
  cluster_fixture f{3, cluster_fixture::default_config(), register_leader(c)};
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; }));
  auto old = static_cast<size_t>(c->where());
  // Its shard manager hangs (as in a slow storage call): no refreshes, no
  // stop messages; the singleton manager watches the lease deadline itself.
  f.freeze_shard_manager(old, true);
  auto gone = step_until(f, *c, [&] { return c->total() == 0; }, 3s);
  REQUIRE(gone);
  CHECK(*gone < 2s); // the lease lasts 2 s after the last refresh
  auto took = step_until(f, *c, [&] {
    return c->total() == 1 && c->where() != static_cast<int>(old);
  });
  REQUIRE(took);
  f.freeze_shard_manager(old, false);
  for (int i = 0; i < 30; ++i) {
    f.advance(step);
    REQUIRE(c->total() <= 1);
  }
}

TEST_CASE("a request to a singleton that dies with it fails at once") {
  auto c = std::make_shared<census>();
  cluster_fixture f{2, cluster_fixture::default_config(), register_leader(c)};
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; }));
  auto holder = static_cast<size_t>(c->where());
  auto slot = std::make_shared<std::optional<caf::expected<std::string>>>();
  auto client = f.runner(holder).make_singleton_client<leader_actor>("leader");
  f.sys.spawn([=](caf::event_based_actor* self) {
    client.request(self, stall_atom::value, std::chrono::hours{1})
      .then([=](std::string& x) { *slot = std::move(x); },
            [=](caf::error& err) { *slot = std::move(err); });
  });
  f.run();
  advance_until(f, [&] { return slot->has_value(); }, 1s);
  REQUIRE(slot->has_value());
  REQUIRE(!slot->value());
  CHECK_EQ(slot->value().error(), errc::entity_not_assigned_to_runner);
}

TEST_CASE("a graceful leave hands the singleton over without overlap") {
  auto c = std::make_shared<census>();
  cluster_fixture f{3, cluster_fixture::default_config(), register_leader(c)};
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; }));
  auto old = static_cast<size_t>(c->where());
  f.leave(old);
  auto took = step_until(f, *c, [&] {
    return c->total() == 1 && c->where() != static_cast<int>(old);
  });
  REQUIRE(took);
  CHECK(*took <= 1s);
}

TEST_CASE("a failed singleton restarts after a growing back-off") {
  auto c = std::make_shared<census>();
  cluster_fixture f{2, cluster_fixture::default_config(), register_leader(c)};
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; }));
  auto fail = [&] {
    auto client = f.runner(0).make_singleton_client<leader_actor>("leader");
    f.sys.spawn([=](caf::event_based_actor* self) {
      client.request(self, fail_atom::value, 3s)
        .then([] {}, [](caf::error&) {});
    });
    f.run();
    advance_until(f, [&] { return c->total() == 0; }, 1s);
    REQUIRE_EQ(c->total(), 0);
  };
  auto restart_after = [&] {
    return step_until(f, *c, [&] { return c->total() == 1; }, 60s);
  };
  auto starts = c->starts;
  fail();
  auto first = restart_after();
  REQUIRE(first);
  fail();
  auto second = restart_after();
  REQUIRE(second);
  CHECK(*first <= 300ms);
  CHECK(*second > *first);
  CHECK_EQ(c->starts, starts + 2);
}

TEST_CASE("singleton registration rules") {
  auto c = std::make_shared<census>();
  cluster_fixture f{1, cluster_fixture::default_config(), register_leader(c)};
  auto& s = f.runner(0);
  auto leader = [=](leader_actor::pointer self) {
    return leader_impl(self, c, 0, "");
  };
  CHECK_EQ(s.register_singleton("leader", leader), errc::invalid_argument);
  CHECK_EQ(s.register_singleton("", leader), errc::invalid_argument);
  CHECK_EQ(s.register_singleton(std::string{"\xff"}, leader),
           errc::invalid_argument);
  auto err = s.register_singleton("other", leader, "elsewhere");
  CHECK_EQ(err, errc::invalid_argument);
  CHECK(to_string(err).find("shard group 'elsewhere'") != std::string::npos);
  // Singletons are not entity types.
  for (auto& x : s.metrics().entity_types)
    CHECK_NE(x.entity_type, singleton_entity_type);
  s.shutdown();
  CHECK_EQ(s.register_singleton("late", leader), errc::shutting_down);
}

TEST_CASE("a single runner starts its singletons at registration") {
  auto c = std::make_shared<census>();
  fixture f;
  auto& s = *f.cluster;
  REQUIRE(!s.register_singleton("leader", [=](leader_actor::pointer self) {
    return leader_impl(self, c, 0, "single");
  }));
  f.run();
  CHECK_EQ(c->total(), 1);
  CHECK_EQ(s.metrics().singletons, 1);
  auto client = s.make_singleton_client<leader_actor>("leader");
  auto reply = std::make_shared<std::string>();
  f.sys.spawn([=](caf::event_based_actor* self) {
    client.request(self, where_atom::value)
      .then([=](std::string& x) { *reply = x; }, [](caf::error&) {});
  });
  f.run();
  CHECK_EQ(*reply, "single");
  s.shutdown();
  f.run();
  CHECK_EQ(c->total(), 0);
  CHECK_EQ(s.metrics().singletons, 0);
}

namespace {

// Random crashes, restarts, leaves and storage cuts; the singleton never
// runs twice, and runs again once the faults heal.
void singleton_chaos(uint64_t seed, size_t& faults) {
  picker pick{seed};
  constexpr size_t runners = 3;
  auto c = std::make_shared<census>();
  cluster_fixture f{runners, cluster_fixture::default_config(),
                    register_leader(c)};
  std::ostringstream log;
  constexpr size_t kinds[] = {0, 1, 2, 4}; // no pauses: a frozen process
                                           // cannot stop what it runs
  for (int s = 0; s < 40; ++s) {
    if (pick(3) == 0) {
      ++faults;
      inject_fault(f, kinds[pick(4)], pick(runners), s, log);
    }
    for (int k = 0; k < 5; ++k) {
      f.advance(50ms);
      INFO(log.str());
      REQUIRE(c->total() <= 1);
    }
  }
  for (size_t r = 0; r < runners; ++r) {
    f.cut_storage(r, false);
    if (!f.up(r))
      f.start(r);
  }
  INFO(log.str());
  REQUIRE(step_until(f, *c, [&] { return settled(f) && c->total() == 1; },
                     15s));
  CHECK_EQ(c->where(), static_cast<int>(f.servers(leader_shard(f)).front()));
}

} // namespace

TEST_CASE("seeded faults: a singleton never runs on two runners") {
  auto range = seeds(100);
  size_t faults = 0;
  for (auto seed = range.first; seed <= range.last(); ++seed) {
    INFO("seed " << seed << " (replay with CAF_CLUSTER_SEED=" << seed << ")");
    singleton_chaos(seed, faults);
  }
  MESSAGE("seeds " << range.first << ".." << range.last() << ": " << faults
                   << " faults, never two instances");
}
