// The shard hash decides where persisted rows live, so these tests pin exact
// values. Expected hashes were computed independently by Effect's own
// `Hash.string` code under node and by a Python port; both agreed.
#include "caf_cluster/shard_hash.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "caf_cluster/errc.hpp"
#include "unit/error_text.hpp"
#include "caf_cluster/internal/utf16.hpp"

using namespace caf_cluster;

namespace {

using caf_cluster::testing::describe;
using caf_cluster::testing::error_of;

int32_t index_of(std::string_view id, int32_t n) {
  auto result = shard_index(id, n);
  REQUIRE_MESSAGE(result, error_of(result));
  return *result;
}

} // namespace

TEST_SUITE("caf_cluster.shard_hash") {

TEST_CASE("golden vectors from Effect with 300 shards per group") {
  CHECK_EQ(index_of("counter-1", 300), 186);
  CHECK_EQ(index_of("user-123", 300), 148);
  CHECK_EQ(index_of("a", 300), 5);
  CHECK_EQ(index_of("ünïcödé-ß", 300), 111);
}

TEST_CASE("raw hashes match Effect's Hash.string") {
  CHECK_EQ(stable_hash(std::u16string_view{}), 5381);
  // "a": 5381 * 33 = 177573 = 0x2B5A5, xor 0x61 = 0x2B5C4 = 177604.
  CHECK_EQ(stable_hash(u"a"), 177604);
  CHECK_EQ(stable_hash(u"counter-1"), 815810285);
  CHECK_EQ(stable_hash(u"user-123"), -194890647);
  CHECK_EQ(*stable_hash(std::string_view{"ünïcödé-ß"}), 1004036210);
  CHECK_EQ(*stable_hash(std::string_view{"ünïcödé-ß"}),
           stable_hash(u"ünïcödé-ß"));
}

TEST_CASE("code points outside the BMP hash as surrogate pairs") {
  // U+1F600 is D83D DE00 in UTF-16; Effect sees two code units.
  CHECK_EQ(*stable_hash(std::string_view{"😀"}), 5191800);
  CHECK_EQ(stable_hash(u"\xD83D\xDE00"), 5191800);
  CHECK_EQ(index_of("😀", 300), 1);
  CHECK_EQ(*stable_hash(std::string_view{"a😀b"}), 1030935707);
  CHECK_EQ(index_of("a😀b", 300), 108);
  CHECK_EQ(*stable_hash(std::string_view{"\xF4\x8F\xBF\xBF"}), 5205605);
  CHECK_EQ(index_of("\xF4\x8F\xBF\xBF", 300), 6); // U+10FFFF
}

TEST_CASE("long ids wrap around many times") {
  CHECK_EQ(*stable_hash(std::string(1000, 'x')), 422167813);
  CHECK_EQ(index_of(std::string(1000, 'x'), 300), 14);
  std::string alnum;
  for (int i = 0; i < 3; ++i)
    alnum += "abcdefghijklmnopqrstuvwxyz0123456789";
  CHECK_EQ(*stable_hash(alnum), 386501567);
  CHECK_EQ(index_of(alnum, 300), 168);
}

TEST_CASE("a negative hash takes the absolute value of the truncated rest") {
  // -194890647 % 300 == -147 in C++ and JavaScript, so the index is 148.
  CHECK_EQ(index_of("user-123", 300), 148);
  CHECK_EQ(*stable_hash(std::string_view{"order-🚀-42"}), -663369296);
  CHECK_EQ(index_of("order-🚀-42", 300), 297);
  CHECK_EQ(index_of("user-123", std::numeric_limits<int32_t>::max()),
           194890648);
  CHECK_EQ(index_of("counter-1", std::numeric_limits<int32_t>::max()),
           815810286);
}

TEST_CASE("one shard per group puts every id on shard 1") {
  CHECK_EQ(index_of("counter-1", 1), 1);
  CHECK_EQ(index_of("user-123", 1), 1);
}

TEST_CASE("the optimize step keeps bits 31 and 30 equal") {
  // Hence the hash lies in [-2^30, 2^30) and is never INT32_MIN.
  std::mt19937 rng{42};
  std::u16string units;
  for (int i = 0; i < 10000; ++i) {
    units.assign(rng() % 24, u'\0');
    for (auto& unit : units)
      unit = static_cast<char16_t>(rng());
    const auto bits = static_cast<uint32_t>(stable_hash(units));
    REQUIRE_EQ(bits >> 31, (bits >> 30) & 1u);
  }
}

TEST_CASE("bad arguments are refused with invalid_argument") {
  CHECK_EQ(error_of(shard_index("", 300)),
           "invalid_argument: entity id must not be empty");
  CHECK_EQ(error_of(shard_index("a", 0)),
           "invalid_argument: shards per group must be at least 1, got 0");
  CHECK_EQ(error_of(shard_index("a", -5)),
           "invalid_argument: shards per group must be at least 1, got -5");
  CHECK_EQ(error_of(shard_index("a", std::numeric_limits<int32_t>::min())),
           "invalid_argument: shards per group must be at least 1, got "
           "-2147483648");
  CHECK_EQ(error_of(shard_index("ab\x80", 300)),
           "invalid_argument: entity id has invalid UTF-8 at byte offset 2: "
           "stray continuation byte 0x80");
  CHECK_EQ(error_of(stable_hash(std::string_view{"ab\x80"})),
           "invalid_argument: invalid UTF-8 at byte offset 2: stray "
           "continuation byte 0x80");
}

} // TEST_SUITE

TEST_SUITE("caf_cluster.internal.utf16") {

TEST_CASE("well-formed UTF-8 converts at every length boundary") {
  auto convert = [](std::string_view text) {
    auto result = internal::utf8_to_utf16(text);
    REQUIRE_MESSAGE(result, error_of(result));
    return *result;
  };
  CHECK(convert("") == u"");
  CHECK(convert(std::string_view{"\0\x7F", 2}) == std::u16string{u'\0', 0x7F});
  CHECK(convert("\xC2\x80\xDF\xBF") == u"\x0080\x07FF");
  CHECK(convert("\xE0\xA0\x80\xED\x9F\xBF") == u"\x0800\xD7FF");
  CHECK(convert("\xEE\x80\x80\xEF\xBF\xBF") == u"\xE000\xFFFF");
  CHECK(convert("\xF0\x90\x80\x80") == u"\xD800\xDC00");        // U+10000
  CHECK(convert("\xF4\x8F\xBF\xBF") == u"\xDBFF\xDFFF");        // U+10FFFF
  CHECK(convert("ß€😀") == u"\x00DF\x20AC\xD83D\xDE00");
}

TEST_CASE("malformed UTF-8 is refused with the byte offset") {
  auto refuse = [](std::string_view text) {
    return error_of(internal::utf8_to_utf16(text));
  };
  const std::string prefix = "invalid_argument: invalid UTF-8 at byte offset ";
  SUBCASE("overlong forms") {
    CHECK_EQ(refuse("a\xC0\xAF"),
             prefix + "1: overlong 2-byte encoding of U+002F");
    CHECK_EQ(refuse("\xC1\xBF"), prefix + "0: overlong 2-byte encoding of U+007F");
    CHECK_EQ(refuse("\xE0\x80\xAF"),
             prefix + "0: overlong 3-byte encoding of U+002F");
    CHECK_EQ(refuse("xy\xF0\x82\x82\xAC"),
             prefix + "2: overlong 4-byte encoding of U+20AC");
  }
  SUBCASE("encoded surrogates") {
    CHECK_EQ(refuse("\xED\xA0\x80"), prefix + "0: encoded surrogate U+D800");
    CHECK_EQ(refuse("ok\xED\xBF\xBF"), prefix + "2: encoded surrogate U+DFFF");
  }
  SUBCASE("code points above U+10FFFF") {
    CHECK_EQ(refuse("\xF4\x90\x80\x80"),
             prefix + "0: code point U+110000 is above U+10FFFF");
    CHECK_EQ(refuse("\xF7\xBF\xBF\xBF"),
             prefix + "0: code point U+1FFFFF is above U+10FFFF");
  }
  SUBCASE("truncated sequences") {
    CHECK_EQ(refuse("ab\xE2\x82"),
             prefix
               + "2: 3-byte sequence truncated by the end of the input");
    CHECK_EQ(refuse("\xF0\x9F\x98"),
             prefix
               + "0: 4-byte sequence truncated by the end of the input");
    CHECK_EQ(refuse("\xE2\x82x"),
             prefix
               + "0: 3-byte sequence truncated: byte 0x78 at byte offset 2 "
                 "is not a continuation byte");
  }
  SUBCASE("stray continuation bytes") {
    CHECK_EQ(refuse("\x80"), prefix + "0: stray continuation byte 0x80");
    CHECK_EQ(refuse("\xC3\xA4\xBF"),
             prefix + "2: stray continuation byte 0xBF");
  }
  SUBCASE("bytes that never occur in UTF-8") {
    CHECK_EQ(refuse("\xFF"), prefix + "0: byte 0xFF never occurs in UTF-8");
    CHECK_EQ(refuse("a\xF8\x88\x80\x80\x80"),
             prefix + "1: byte 0xF8 never occurs in UTF-8");
  }
}

} // TEST_SUITE
