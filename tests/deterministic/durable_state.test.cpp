// Snapshots of an entity's state taken by the entity itself (from a default
// handler, beside its typed interface) and restored into a new activation.
#include <doctest/doctest.h>

#include <memory>
#include <optional>

#include "caf/actor_cast.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/detail/durable_state.hpp"

#include "deterministic/test_fixture.hpp"

using namespace caf_cluster;

namespace {

struct ledger_state {
  int64_t balance = 0;
  std::string last;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_state& x) {
  return f(caf::meta::type_name("test.ledger_state"), x.balance, x.last);
}

using ledger_actor = caf::typed_actor<caf::replies_to<int64_t>::with<int64_t>>;

// An entity behaviour as users write it, wrapped as the library will: the
// snapshot handler installed and, if given, a stored state restored.
ledger_actor::behavior_type
ledger_impl(ledger_actor::stateful_pointer<ledger_state> self,
            std::string stored) {
  detail::install_state_handler(self);
  if (!stored.empty())
    if (auto err = detail::restore_state(self, stored))
      self->quit(err);
  return {[=](int64_t amount) {
    self->state.balance += amount;
    self->state.last = "add " + std::to_string(amount);
    return self->state.balance;
  }};
}

struct state_config : testing::test_config {
  state_config() {
    add_message_type<ledger_state>("test.ledger_state");
  }
};

struct state_fixture {
  state_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());

  template <class Handle, class... Ts>
  std::optional<caf::message> ask(const Handle& hdl, Ts... xs) {
    auto slot = std::make_shared<std::optional<caf::message>>();
    auto dest = caf::actor_cast<caf::actor>(hdl);
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, xs...)
        .then([=](int64_t x) { *slot = caf::make_message(x); },
              [=](caf::error& err) { *slot = caf::make_message(err); });
    });
    sched.run();
    return *slot;
  }

  std::optional<std::string> snapshot(const ledger_actor& hdl) {
    auto slot = std::make_shared<std::optional<std::string>>();
    auto dest = caf::actor_cast<caf::actor>(hdl);
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, detail::snapshot_atom::value)
        .then([=](std::string& x) { *slot = x; });
    });
    sched.run();
    return *slot;
  }
};

} // namespace

TEST_CASE_FIXTURE(state_fixture, "an entity's snapshot restores into a new activation") {
  auto first = sys.spawn(ledger_impl, std::string{});
  ask(first, int64_t{5});
  ask(first, int64_t{-2});
  auto bytes = snapshot(first);
  REQUIRE(bytes);
  // The typed interface is untouched by the handler.
  auto reply = ask(first, int64_t{1});
  REQUIRE(reply);
  CHECK(reply->get_as<int64_t>(0) == 4);
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  sched.run();
  auto second = sys.spawn(ledger_impl, *bytes);
  auto after = ask(second, int64_t{10});
  REQUIRE(after);
  CHECK(after->get_as<int64_t>(0) == 13); // 3 restored + 10
  caf::anon_send_exit(second, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(state_fixture, "a damaged stored state is refused, never applied") {
  auto first = sys.spawn(ledger_impl, std::string{});
  ask(first, int64_t{7});
  auto bytes = snapshot(first);
  REQUIRE(bytes);
  auto damaged = *bytes;
  damaged[damaged.size() / 2] ^= 0x5a;
  auto probe = sys.spawn([=](ledger_actor::stateful_pointer<ledger_state> self)
                           -> ledger_actor::behavior_type {
    auto err = detail::restore_state(self, damaged);
    CHECK(err == errc::malformed_message);
    CHECK(self->state.balance == 0);
    auto ok = detail::restore_state(self, *bytes);
    CHECK(!ok);
    CHECK(self->state.balance == 7);
    CHECK(self->state.last == "add 7");
    self->quit();
    return {[](int64_t x) { return x; }};
  });
  sched.run();
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_FIXTURE(state_fixture, "an entity answers a run request with reply and state together") {
  auto hdl = sys.spawn(ledger_impl, std::string{});
  auto slot = std::make_shared<std::optional<caf::message>>();
  auto dest = caf::actor_cast<caf::actor>(hdl);
  auto run = [&](caf::message inner) {
    slot->reset();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, detail::run_atom::value, inner)
        .then(
          [=](detail::with_state_atom a, caf::message& x, std::string& st) {
            *slot = caf::make_message(a, x, st);
          },
          [=](caf::error& err) { *slot = caf::make_message(err); });
    });
    sched.run();
    return *slot;
  };
  auto reply = run(caf::make_message(int64_t{5}));
  REQUIRE(reply);
  REQUIRE(reply->match_elements<detail::with_state_atom, caf::message,
                                std::string>());
  CHECK(reply->get_as<caf::message>(1).get_as<int64_t>(0) == 5);
  auto state = decode_value<ledger_state>(sys, reply->get_as<std::string>(2));
  REQUIRE(state);
  CHECK(state->balance == 5);
  CHECK(state->last == "add 5");
  // A message the interface lacks comes back as CAF's own error.
  auto wrong = run(caf::make_message(std::string{"hello"}));
  REQUIRE(wrong);
  REQUIRE(wrong->match_elements<caf::error>());
  CHECK(wrong->get_as<caf::error>(0) == caf::sec::unexpected_message);
  caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  sched.run();
}
