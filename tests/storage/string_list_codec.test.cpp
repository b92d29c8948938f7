// The text form of a runner's groups in SQLite: what we write reads back
// unchanged, and anything that is not a JSON array of strings is refused
// (the driver reports it as a corrupt row instead of guessing).
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "caf_cluster/storage/internal/string_list_codec.hpp"

using caf_cluster::storage::internal::decode_string_list;
using caf_cluster::storage::internal::encode_string_list;
using strings = std::vector<std::string>;

TEST_SUITE("storage.string_list_codec") {

TEST_CASE("encoding is JSON") {
  CHECK_EQ(encode_string_list({}), "[]");
  CHECK_EQ(encode_string_list({""}), "[\"\"]");
  CHECK_EQ(encode_string_list({"default", "eu"}), "[\"default\",\"eu\"]");
  CHECK_EQ(encode_string_list({"a\"b\\c\n\x01"}),
           "[\"a\\\"b\\\\c\\u000a\\u0001\"]");
  CHECK_EQ(encode_string_list({"\xc3\xbc"}), "[\"\xc3\xbc\"]");
}

TEST_CASE("decoding reverses encoding") {
  std::vector<strings> cases{
    {},
    {""},
    {"default"},
    {"default", "eu,west", "", "]", "[\"x\"]"},
    {std::string{"nul\0byte", 8}, "tab\there", "\x1f\x7f",
     "\xc3\xbc\xe2\x82\xac"},
  };
  for (const auto& xs : cases) {
    auto text = encode_string_list(xs);
    CAPTURE(text);
    auto back = decode_string_list(text);
    REQUIRE(back);
    CHECK_EQ(*back, xs);
  }
}

TEST_CASE("decoding accepts the other JSON escapes") {
  CHECK_EQ(
    decode_string_list(R"(["\/\b\f\n\r\t","\u00fc\u20AC"])"),
    std::optional<strings>{strings{"/\b\f\n\r\t", "\xc3\xbc\xe2\x82\xac"}});
}

TEST_CASE("decoding refuses what is not an array of strings") {
  for (const char* text :
       {"", "[", "]", "eu", "[eu]", "[\"eu\"", "[\"eu\",]", "[,\"eu\"]",
        "[\"eu\"]x", "[]x", "[\"a\" ,\"b\"]", "[\"a\\x\"]", "[\"\\u12\"]",
        "[\"\\ud800\"]", "[\"raw\nnewline\"]", "[1]", "[\"a\"\"b\"]"}) {
    CAPTURE(std::string{text});
    CHECK_FALSE(decode_string_list(text));
  }
}

} // TEST_SUITE
