// Messages to bytes and back: round trips of registered types, and every kind
// of damaged input (truncated, flipped, random, trailing bytes) must come back
// as malformed_message, never as a crash or a huge allocation.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "caf/actor_system.hpp"
#include "caf/message.hpp"
#include "caf/meta/type_name.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/message_codec.hpp"

namespace {

struct deposit {
  std::string account;
  int64_t cents = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deposit& x) {
  return f(caf::meta::type_name("test.deposit"), x.account, x.cents);
}

struct unregistered {
  int32_t x = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unregistered& x) {
  return f(caf::meta::type_name("test.unregistered"), x.x);
}

struct codec_config : caf_cluster::cluster_config {
  codec_config() {
    add_message_type<deposit>("test.deposit");
  }
};

struct codec_fixture {
  codec_config cfg;
  caf::actor_system sys{cfg};
};

} // namespace

TEST_CASE_FIXTURE(codec_fixture, "registered messages round-trip with their tag") {
  auto msg = caf::make_message(deposit{"acc-ü", -42}, int64_t{7}, std::string{"x"});
  CHECK(caf_cluster::message_tag(sys, msg) == "test.deposit,@i64,@str");
  auto bytes = caf_cluster::encode_message(sys, msg);
  REQUIRE(bytes);
  auto back = caf_cluster::decode_message(sys, *bytes);
  REQUIRE(back);
  REQUIRE(back->match_elements<deposit, int64_t, std::string>());
  CHECK(back->get_as<deposit>(0).account == "acc-ü");
  CHECK(back->get_as<deposit>(0).cents == -42);
  CHECK(back->get_as<int64_t>(1) == 7);
  auto empty = caf_cluster::encode_message(sys, caf::message{});
  REQUIRE(empty);
  auto empty_back = caf_cluster::decode_message(sys, *empty);
  REQUIRE(empty_back);
  CHECK(empty_back->empty());
}

TEST_CASE_FIXTURE(codec_fixture, "an unregistered type cannot be encoded") {
  auto msg = caf::make_message(unregistered{3});
  auto bytes = caf_cluster::encode_message(sys, msg);
  REQUIRE(!bytes);
  CHECK(bytes.error() == caf_cluster::errc::malformed_message);
  CHECK(sys.render(bytes.error()).find("add_message_type") != std::string::npos);
}

TEST_CASE_FIXTURE(codec_fixture, "damaged bytes are malformed_message, never a crash") {
  auto good = caf_cluster::encode_message(
    sys, caf::make_message(deposit{"account-1", 100}, std::string(40, 'z')));
  REQUIRE(good);
  auto malformed = [&](const std::string& bytes) {
    auto x = caf_cluster::decode_message(sys, bytes);
    return !x && x.error() == caf_cluster::errc::malformed_message;
  };
  CHECK(malformed(*good + "extra"));
  CHECK(malformed(std::string(100'000'000, 'x')));
  for (size_t n = 0; n < good->size(); ++n) {
    INFO("truncated to " << n << " bytes");
    CHECK(malformed(good->substr(0, n)));
  }
  // The frame's checksum catches flipped bytes and random input.
  std::mt19937 rng{42};
  size_t decoded = 0;
  for (int round = 0; round < 2000; ++round) {
    auto bytes = *good;
    auto flips = 1 + rng() % 4;
    for (size_t k = 0; k < flips; ++k)
      bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
    if (caf_cluster::decode_message(sys, bytes))
      ++decoded;
  }
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (auto& c : bytes)
      c = static_cast<char>(rng());
    if (caf_cluster::decode_message(sys, bytes))
      ++decoded;
  }
  CHECK(decoded == 0);
}

TEST_CASE_FIXTURE(codec_fixture, "single values round-trip and are type-checked") {
  auto bytes = caf_cluster::encode_value(sys, deposit{"acc", 5});
  REQUIRE(bytes);
  auto back = caf_cluster::decode_value<deposit>(sys, *bytes);
  REQUIRE(back);
  CHECK(back->account == "acc");
  CHECK(back->cents == 5);
  auto wrong = caf_cluster::decode_value<int64_t>(sys, *bytes);
  REQUIRE(!wrong);
  CHECK(wrong.error() == caf_cluster::errc::malformed_message);
  CHECK(sys.render(wrong.error()).find("test.deposit") != std::string::npos);
}
