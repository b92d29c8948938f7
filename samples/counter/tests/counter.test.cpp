// The Counter entity under the test kit: replies, keyed deduplication,
// durable state across passivation and restarts, scheduled increments.
#include <doctest/doctest.h>

#include <chrono>

#include "caf_cluster/testing/test_client.hpp"

#include "counter_entity.hpp"

using namespace std::chrono_literals;

namespace {

auto make_counter() {
  return caf_cluster::testing::make_test_client(counter::counter_entity,
                                                counter::counter_impl);
}

} // namespace

TEST_SUITE("samples.counter") {

TEST_CASE("increments and decrements reply with the new value") {
  auto c = make_counter();
  CHECK(c.ask("a", counter::increment{5, {}}) == 5);
  CHECK(c.ask("a", counter::increment{3, {}}) == 8);
  CHECK(c.ask("a", counter::decrement{10, {}}) == -2);
  CHECK(c.ask("b", counter::get_value{}) == 0);
  CHECK(c.ask("a", counter::get_value{}) == -2);
}

TEST_CASE("a keyed increment counts once however often it is sent") {
  auto c = make_counter();
  REQUIRE(c.ask("a", counter::increment{5, "k1"}) == 5);
  c.ask("a", counter::increment{5, "k1"});
  c.ask("a", counter::increment{5, "k1"});
  CHECK(c.ask("a", counter::get_value{}) == 5);
  CHECK(c.ask("a", counter::increment{1, "k2"}) == 6);
}

TEST_CASE("the value survives passivation and a restart of the runner") {
  auto c = make_counter();
  REQUIRE(c.ask("a", counter::increment{7, {}}) == 7);
  REQUIRE(c.cluster().runner(0).metrics().resident_entities() == 1);
  c.advance(3min); // max_idle is 2 minutes
  CHECK(c.cluster().runner(0).metrics().resident_entities() == 0);
  CHECK(c.ask("a", counter::get_value{}) == 7);
  c.restart();
  CHECK(c.ask("a", counter::get_value{}) == 7);
  CHECK(c.ask("a", counter::increment{1, {}}) == 8);
}

TEST_CASE("a scheduled increment waits in storage through a restart") {
  auto c = make_counter();
  c.tell("a", counter::increment{4, {}}, c.now_ms() + 60'000);
  CHECK(c.ask("a", counter::get_value{}) == 0);
  c.restart();
  c.advance(30s);
  CHECK(c.ask("a", counter::get_value{}) == 0);
  c.advance(31s);
  CHECK(c.ask("a", counter::get_value{}) == 4);
}

}
