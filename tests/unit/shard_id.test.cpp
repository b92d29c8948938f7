// Shard ids and entity addresses: their text forms show up in storage rows,
// logs and the admin tool, so parsing must refuse every malformed form with a
// message that says what is wrong.
#include "caf_cluster/shard_id.hpp"

#include <doctest/doctest.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"

#include "caf_cluster/entity_address.hpp"
#include "caf_cluster/errc.hpp"
#include "unit/error_text.hpp"

using namespace caf_cluster;

namespace {

using caf_cluster::testing::describe;
using caf_cluster::testing::error_of;

template <class T>
T serialization_round_trip(T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(x));
  T result;
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE_FALSE(source(result));
  return result;
}

} // namespace

TEST_SUITE("caf_cluster.shard_id") {

TEST_CASE("to_string and parse_shard_id round-trip") {
  CHECK_EQ(to_string(shard_id{"default", 186}), "default:186");
  for (auto text : {"default:1", "default:186", "eu-west:300",
                    "g:2147483647", "a:b:5"}) {
    auto parsed = parse_shard_id(text);
    REQUIRE_MESSAGE(parsed, error_of(parsed));
    CHECK_EQ(to_string(*parsed), text);
  }
}

TEST_CASE("parse_shard_id splits at the last ':' like Effect") {
  auto parsed = parse_shard_id("a:b:5");
  REQUIRE(parsed);
  CHECK_EQ(parsed->group, "a:b");
  CHECK_EQ(parsed->index, 5);
}

TEST_CASE("parse_shard_id accepts leading zeros and normalizes them") {
  auto parsed = parse_shard_id("default:007");
  REQUIRE(parsed);
  CHECK(*parsed == shard_id{"default", 7});
  CHECK_EQ(to_string(*parsed), "default:7");
}

TEST_CASE("parse_shard_id refuses each malformed form with its own message") {
  const std::string prefix = "invalid_argument: shard id ";
  CHECK_EQ(error_of(parse_shard_id("default")),
           prefix + "\"default\" has no ':' separating group and index");
  CHECK_EQ(error_of(parse_shard_id("")),
           prefix + "\"\" has no ':' separating group and index");
  CHECK_EQ(error_of(parse_shard_id(":5")),
           prefix + "\":5\" has an empty group before ':'");
  CHECK_EQ(error_of(parse_shard_id("default:")),
           prefix + "\"default:\" has an empty index after ':'");
  for (auto text : {"default:1a", "default:+5", "default:-5", "default: 5",
                    "default:5 ", "default:0x10", "default:١"})
    CHECK_EQ(error_of(parse_shard_id(text)),
             prefix + '"' + text + "\" has an index that is not a decimal "
                                   "number");
  CHECK_EQ(error_of(parse_shard_id("default:0")),
           prefix + "\"default:0\" has index 0, but indexes start at 1");
  CHECK_EQ(error_of(parse_shard_id("default:000")),
           prefix + "\"default:000\" has index 0, but indexes start at 1");
  CHECK_EQ(error_of(parse_shard_id("default:2147483648")),
           prefix + "\"default:2147483648\" has an index above 2147483647");
  CHECK_EQ(error_of(parse_shard_id("default:99999999999999999999999999")),
           prefix
             + "\"default:99999999999999999999999999\" has an index above "
               "2147483647");
}

TEST_CASE("error messages escape control bytes to stay on one line") {
  CHECK_EQ(error_of(parse_shard_id("bad\nid")),
           "invalid_argument: shard id \"bad\\x0Aid\" has no ':' separating "
           "group and index");
}

TEST_CASE("make_shard_id places an entity id like Effect") {
  auto shard = make_shard_id("counter-1", "default", 300);
  REQUIRE_MESSAGE(shard, error_of(shard));
  CHECK(*shard == shard_id{"default", 186});
  shard = make_shard_id("a", "eu", 300);
  REQUIRE(shard);
  CHECK(*shard == shard_id{"eu", 5});
}

TEST_CASE("make_shard_id refuses bad groups and passes on hash errors") {
  CHECK_EQ(error_of(make_shard_id("a", "", 300)),
           "invalid_argument: shard group must not be empty");
  CHECK_EQ(error_of(make_shard_id("a", "eu:west", 300)),
           "invalid_argument: shard group \"eu:west\" must not contain ':'");
  CHECK_EQ(error_of(make_shard_id("", "default", 300)),
           "invalid_argument: entity id must not be empty");
  CHECK_EQ(error_of(make_shard_id("a", "default", 0)),
           "invalid_argument: shards per group must be at least 1, got 0");
}

TEST_CASE("comparison and hashing") {
  const shard_id a{"default", 2};
  const shard_id b{"default", 10};
  const shard_id c{"eu", 1};
  CHECK(a == shard_id{"default", 2});
  CHECK(a != b);
  CHECK(a != shard_id{"eu", 2});
  CHECK(a < b); // numeric, not text order
  CHECK(b < c); // group first
  CHECK_FALSE(c < a);
  CHECK_FALSE(a < a);
  std::unordered_set<shard_id> set{a, b, c, shard_id{"default", 2}};
  CHECK_EQ(set.size(), 3u);
  CHECK_EQ(set.count(shard_id{"eu", 1}), 1u);
}

TEST_CASE("inspect round-trips through CAF's binary serializer") {
  CHECK(serialization_round_trip(shard_id{"default", 186})
        == shard_id{"default", 186});
}

} // TEST_SUITE

TEST_SUITE("caf_cluster.entity_address") {

TEST_CASE("to_string gives type/id@group:index") {
  const entity_address addr{"Counter", "counter-1", shard_id{"default", 186}};
  CHECK_EQ(to_string(addr), "Counter/counter-1@default:186");
}

TEST_CASE("equality compares every field") {
  const entity_address addr{"Counter", "counter-1", shard_id{"default", 186}};
  CHECK(addr == entity_address{"Counter", "counter-1", {"default", 186}});
  CHECK(addr != entity_address{"Other", "counter-1", {"default", 186}});
  CHECK(addr != entity_address{"Counter", "counter-2", {"default", 186}});
  CHECK(addr != entity_address{"Counter", "counter-1", {"eu", 186}});
  CHECK(addr != entity_address{"Counter", "counter-1", {"default", 1}});
}

TEST_CASE("inspect round-trips through CAF's binary serializer") {
  const entity_address addr{"Counter", "counter-1", shard_id{"default", 186}};
  CHECK(serialization_round_trip(addr) == addr);
}

} // TEST_SUITE
