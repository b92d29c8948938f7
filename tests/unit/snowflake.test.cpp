// Snowflake ids key persisted messages: the bit layout is a storage format and
// the generator must never repeat or reorder ids, not even when the clock
// steps back, so these tests pin exact values and drive a manual clock.
#include "caf_cluster/snowflake.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"

#include "caf_cluster/snowflake_generator.hpp"
#include "caf_cluster/wall_clock.hpp"

using namespace caf_cluster;

namespace {

// 2025-06-01T00:00:00Z, 13046400000 ms after the snowflake epoch.
constexpr int64_t june_unix_ms = 1748736000000;
constexpr int64_t june_ms = june_unix_ms - snowflake::epoch_unix_ms;
constexpr int64_t hour_ms = 3600 * 1000;

std::vector<snowflake> generate(snowflake_generator& gen, size_t n) {
  std::vector<snowflake> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i)
    ids.push_back(gen.next());
  return ids;
}

bool strictly_increasing(const std::vector<snowflake>& ids) {
  return std::adjacent_find(ids.begin(), ids.end(),
                            [](snowflake x, snowflake y) { return x >= y; })
         == ids.end();
}

} // namespace

TEST_SUITE("caf_cluster.snowflake") {

TEST_CASE("the bit layout is timestamp << 22 | machine << 12 | sequence") {
  static_assert(snowflake::epoch_unix_ms == 1735689600000);
  static_assert(snowflake::max_timestamp == 2199023255551);
  static_assert(snowflake::max_machine_id == 1023);
  static_assert(snowflake::max_sequence == 4095);
  const auto id = snowflake::make(123456789, 513, 4000);
  CHECK_EQ(id.value(), 517815306035104); // 123456789 * 2^22 + 513 * 2^12 + 4000
  CHECK_EQ(id.value(), (int64_t{123456789} << 22) + 513 * 4096 + 4000);
  CHECK_EQ(id.timestamp(), 123456789);
  CHECK_EQ(id.unix_ms(), 123456789 + 1735689600000);
  CHECK_EQ(id.machine_id(), 513);
  CHECK_EQ(id.sequence(), 4000);
  CHECK_EQ(to_string(id), "517815306035104");
  const snowflake raw{517815306035104};
  CHECK(raw == id);
  CHECK_EQ(raw.machine_id(), 513);
}

TEST_CASE("a real instant and the all-ones value") {
  const auto june = snowflake::make(june_ms, 1023, 4095);
  CHECK_EQ(june.value(), 54720567709794303);
  CHECK_EQ(june.unix_ms(), june_unix_ms);
  const auto max = snowflake::make(snowflake::max_timestamp,
                                   snowflake::max_machine_id,
                                   snowflake::max_sequence);
  CHECK_EQ(max.value(), std::numeric_limits<int64_t>::max());
  CHECK_EQ(snowflake{}.value(), 0);
  CHECK_EQ(to_string(snowflake{}), "0");
}

TEST_CASE("make keeps each field within its bits") {
  const auto id = snowflake::make(5, 1024 + 7, 4096 + 9);
  CHECK_EQ(id.timestamp(), 5);
  CHECK_EQ(id.machine_id(), 7);
  CHECK_EQ(id.sequence(), 9);
}

TEST_CASE("ids order by timestamp, then machine, then sequence") {
  CHECK(snowflake::make(1, 0, 4095) < snowflake::make(2, 0, 0));
  CHECK(snowflake::make(1, 5, 0) < snowflake::make(1, 6, 0));
  CHECK(snowflake::make(1, 5, 1) > snowflake::make(1, 5, 0));
  CHECK(snowflake::make(1, 5, 1) <= snowflake::make(1, 5, 1));
  CHECK(snowflake::make(1, 5, 1) >= snowflake::make(1, 5, 1));
  CHECK(snowflake::make(1, 5, 1) != snowflake::make(1, 5, 2));
}

TEST_CASE("inspect round-trips through CAF's binary serializer") {
  const auto id = snowflake::make(june_ms, 42, 17);
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(id));
  snowflake copy;
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE_FALSE(source(copy));
  CHECK(copy == id);
}

} // TEST_SUITE

TEST_SUITE("caf_cluster.snowflake_generator") {

TEST_CASE("ids carry the clock's millisecond, the machine id and a sequence") {
  auto clock = std::make_shared<manual_wall_clock>(june_unix_ms);
  snowflake_generator gen{clock, 42};
  const auto first = gen.next();
  CHECK_EQ(first.value(), snowflake::make(june_ms, 42, 0).value());
  CHECK_EQ(first.unix_ms(), june_unix_ms);
  CHECK_EQ(gen.next().sequence(), 1);
  clock->advance_ms(3);
  const auto later = gen.next();
  CHECK_EQ(later.timestamp(), june_ms + 3);
  CHECK_EQ(later.sequence(), 0);
}

TEST_CASE("the 4097th id in one millisecond waits for the next millisecond") {
  auto clock = std::make_shared<manual_wall_clock>(june_unix_ms);
  snowflake_generator gen{clock, 1};
  const auto ids = generate(gen, 4096);
  CHECK_EQ(ids.front().timestamp(), june_ms);
  CHECK_EQ(ids.back().timestamp(), june_ms);
  CHECK_EQ(ids.back().sequence(), 4095);
  CHECK_EQ(clock->now_ms(), june_unix_ms); // no wait yet
  const auto next = gen.next();
  CHECK_EQ(next.timestamp(), june_ms + 1);
  CHECK_EQ(next.sequence(), 0);
  CHECK_EQ(clock->now_ms(), june_unix_ms + 1); // wait_until_ms jumped there
}

TEST_CASE("ids keep increasing when the clock steps back by an hour") {
  auto clock = std::make_shared<manual_wall_clock>(june_unix_ms);
  snowflake_generator gen{clock, 7};
  auto ids = generate(gen, 10);
  clock->advance_ms(-hour_ms);
  const auto after = generate(gen, 10000);
  ids.insert(ids.end(), after.begin(), after.end());
  CHECK(strictly_increasing(ids));
  // Counting goes on at the last timestamp, then borrows milliseconds
  // logically: 4086 more at T, 4096 at T+1, the remaining 1818 at T+2.
  CHECK_EQ(ids[10].timestamp(), june_ms);
  CHECK_EQ(ids[10].sequence(), 10);
  CHECK_EQ(ids[4095].timestamp(), june_ms);
  CHECK_EQ(ids[4096].timestamp(), june_ms + 1);
  CHECK_EQ(ids[4096].sequence(), 0);
  CHECK_EQ(ids[8192].timestamp(), june_ms + 2);
  CHECK_EQ(ids.back().timestamp(), june_ms + 2);
  CHECK_EQ(ids.back().sequence(), 10009 - 8192);
  // Borrowing neither stalled nor moved the clock.
  CHECK_EQ(clock->now_ms(), june_unix_ms - hour_ms);
  // Once the clock passes the borrowed milliseconds, ids follow it again.
  clock->set_ms(june_unix_ms + 10);
  const auto caught_up = gen.next();
  CHECK(caught_up > ids.back());
  CHECK_EQ(caught_up.timestamp(), june_ms + 10);
  CHECK_EQ(caught_up.sequence(), 0);
}

TEST_CASE("a clock before the snowflake epoch counts as time 0") {
  auto clock = std::make_shared<manual_wall_clock>(0);
  snowflake_generator gen{clock, 3};
  const auto id = gen.next();
  CHECK_EQ(id.timestamp(), 0);
  CHECK_EQ(id.value(), snowflake::make(0, 3, 0).value());
}

TEST_CASE("machine ids are taken modulo 1024") {
  auto clock = std::make_shared<manual_wall_clock>(june_unix_ms);
  snowflake_generator gen{clock, 1024 + 7};
  CHECK_EQ(gen.machine_id(), 7);
  CHECK_EQ(gen.next().machine_id(), 7);
  gen.machine_id(65535);
  CHECK_EQ(gen.machine_id(), 1023);
}

TEST_CASE("a lower machine id moves to the next millisecond") {
  auto clock = std::make_shared<manual_wall_clock>(june_unix_ms);
  snowflake_generator gen{clock, 900};
  const auto before = gen.next();
  gen.machine_id(5);
  const auto after = gen.next();
  CHECK(after > before);
  CHECK_EQ(after.timestamp(), june_ms + 1);
  CHECK_EQ(after.machine_id(), 5);
  CHECK_EQ(after.sequence(), 0);
}

TEST_CASE("one million ids are unique and strictly increasing") {
  auto clock = std::make_shared<manual_wall_clock>(june_unix_ms);
  snowflake_generator gen{clock, 99};
  std::vector<snowflake> ids;
  ids.reserve(1000000);
  for (int i = 0; i < 1000000; ++i) {
    // Mix both paths: sequence overflow (the clock jumps) and a clock that
    // moves on by itself, sometimes backwards.
    if (i % 3000 == 0)
      clock->advance_ms(i % 9000 == 0 ? -2 : 1);
    ids.push_back(gen.next());
  }
  CHECK(strictly_increasing(ids));
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  CHECK(std::all_of(ids.begin(), ids.end(),
                    [](snowflake x) { return x.machine_id() == 99; }));
}

TEST_CASE("two threads sharing a generator on the system clock") {
  snowflake_generator gen{make_system_wall_clock(), 12};
  constexpr size_t per_thread = 150000;
  std::vector<snowflake> a;
  std::vector<snowflake> b;
  std::thread ta{[&] { a = generate(gen, per_thread); }};
  std::thread tb{[&] { b = generate(gen, per_thread); }};
  ta.join();
  tb.join();
  CHECK(strictly_increasing(a));
  CHECK(strictly_increasing(b));
  std::vector<snowflake> all;
  all.insert(all.end(), a.begin(), a.end());
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK_EQ(all.size(), 2 * per_thread);
}

TEST_CASE("next() is cheap when uncontended") {
  // Measures the generator itself (lock, clock call, bit packing): with the
  // system clock a tight loop is capped at 4096 ids/ms (>= 244 ns per id on
  // average) by design, so the manual clock isolates the per-call cost.
  auto clock = std::make_shared<manual_wall_clock>(june_unix_ms);
  snowflake_generator gen{clock, 1};
  constexpr int n = 2000000;
  uint64_t sink = 0; // keeps the loop from being optimized away
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    sink += static_cast<uint64_t>(gen.next().value());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double ns
    = std::chrono::duration<double, std::nano>(elapsed).count() / n;
  MESSAGE("snowflake_generator::next(), manual clock: " << ns << " ns/id");
  CHECK(sink != 0);
  CHECK(ns < 1000.0); // generous: sanitizer builds and loaded CI machines
}

} // TEST_SUITE

TEST_SUITE("caf_cluster.wall_clock") {

TEST_CASE("the manual clock moves only when told, and never back on waits") {
  manual_wall_clock clock{1000};
  CHECK_EQ(clock.now_ms(), 1000);
  clock.advance_ms(5);
  CHECK_EQ(clock.now_ms(), 1005);
  clock.wait_until_ms(1200);
  CHECK_EQ(clock.now_ms(), 1200);
  clock.wait_until_ms(1100);
  CHECK_EQ(clock.now_ms(), 1200);
  clock.set_ms(10);
  CHECK_EQ(clock.now_ms(), 10);
  clock.advance_ms(-10);
  CHECK_EQ(clock.now_ms(), 0);
}

TEST_CASE("the system clock reads Unix time and waits for a target") {
  auto clock = make_system_wall_clock();
  const auto now = clock->now_ms();
  CHECK(now > snowflake::epoch_unix_ms); // after 2025-01-01
  clock->wait_until_ms(now + 20);
  const auto after = clock->now_ms();
  CHECK(after >= now + 20);
  CHECK(after < now + 1000);
}

} // TEST_SUITE
