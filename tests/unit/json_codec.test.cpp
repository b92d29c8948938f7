// The gateway's JSON codec: CAF-inspectable types to and from JSON, errors
// that name the field, declared field names, and a seeded fuzz run of the
// decoding of mutated bodies (the unit suite runs under ASan in CI).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"

#include "caf_cluster/gateway/api_router.hpp"
#include "caf_cluster/gateway/json_codec.hpp"

using namespace caf_cluster::gateway;
using nlohmann::json;

namespace {

struct point {
  int32_t x = 0;
  int32_t y = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, point& p) {
  return f(caf::meta::type_name("test.point"), p.x, p.y);
}

struct shape {
  std::string name;
  std::vector<point> points;
  std::optional<std::string> note;
  std::map<std::string, int64_t> tags;
  bool closed = false;
  double scale = 1.0;
  uint8_t layer = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shape& s) {
  return f(caf::meta::type_name("test.shape"), s.name, s.points, s.note, s.tags,
           s.closed, s.scale, s.layer);
}

const std::vector<std::string> shape_fields{"name",   "points", "note", "tags",
                                            "closed", "scale",  "layer"};

std::string error_of(const caf::error& err) {
  REQUIRE(err);
  CHECK(err.category() == caf_cluster::errc_category);
  return err.context().get_as<std::string>(0);
}

} // namespace

TEST_SUITE("gateway.json_codec") {

  TEST_CASE("a struct round-trips through an object with declared names") {
    shape s{"tri", {{1, 2}, {3, 4}}, std::string{"hi"}, {{"a", 7}}, true, 2.5,
            3};
    auto j = to_json_object(s, shape_fields);
    CHECK(j["name"] == "tri");
    CHECK(j["points"] == json::parse("[[1,2],[3,4]]"));
    CHECK(j["note"] == "hi");
    CHECK(j["tags"] == json::parse(R"({"a":7})"));
    CHECK(j["closed"] == true);
    CHECK(j["layer"] == 3);
    shape back;
    REQUIRE(!from_json_object(j, back, shape_fields));
    CHECK(back.name == "tri");
    REQUIRE(back.points.size() == 2);
    CHECK(back.points[1].y == 4);
    CHECK(back.note == std::optional<std::string>{"hi"});
    CHECK(back.tags.at("a") == 7);
    CHECK(back.scale == 2.5);
    CHECK(field_count<shape>() == 7);
    CHECK(field_count<point>() == 2);
  }

  TEST_CASE("absent keys keep their defaults; null clears an optional") {
    shape s;
    s.note = "kept?";
    REQUIRE(!from_json_object(json::parse(R"({"name":"x","note":null})"), s,
                              shape_fields));
    CHECK(s.name == "x");
    CHECK(!s.note);
    CHECK(s.scale == 1.0);
  }

  TEST_CASE("errors name the field and what it expected") {
    shape s;
    CHECK(
      error_of(from_json_object(json::parse(R"({"name":5})"), s, shape_fields))
      == "field 'name': expected a string");
    CHECK(error_of(
            from_json_object(json::parse(R"({"layer":256})"), s, shape_fields))
          == "field 'layer': expected an integer from 0 to 255");
    CHECK(error_of(
            from_json_object(json::parse(R"({"layer":-1})"), s, shape_fields))
          == "field 'layer': expected an integer from 0 to 255");
    CHECK(error_of(from_json_object(json::parse(R"({"points":[[1]]})"), s,
                                    shape_fields))
          == "field 'points[0]': expected an array of 2 values");
    CHECK(error_of(from_json_object(json::parse(R"({"points":[[1,"a"]]})"), s,
                                    shape_fields))
          == "field 'points[0][1]': expected an integer from -2147483648 to "
             "2147483647");
    CHECK(error_of(from_json_object(json::parse(R"({"tags":{"a":1.5}})"), s,
                                    shape_fields))
          == "field 'tags.a': expected an integer from "
             "-9223372036854775808 to 9223372036854775807");
    CHECK(error_of(
            from_json_object(json::parse(R"({"closed":1})"), s, shape_fields))
          == "field 'closed': expected true or false");
    CHECK(
      error_of(from_json_object(json::parse(R"({"nope":1})"), s, shape_fields))
      == "unknown field 'nope'");
    CHECK(error_of(from_json_object(json::parse("[1]"), s, shape_fields))
          == "the body must be a JSON object");
  }

  TEST_CASE("declared names make nested structs objects") {
    declare_fields(typeid(point), {"x", "y"});
    shape s{"sq", {{5, 6}}, std::nullopt, {}, false, 1.0, 0};
    auto j = to_json_object(s, shape_fields);
    CHECK(j["points"] == json::parse(R"([{"x":5,"y":6}])"));
    CHECK(j["note"].is_null());
    shape back;
    REQUIRE(!from_json_object(j, back, shape_fields));
    CHECK(back.points.at(0).x == 5);
    CHECK(error_of(from_json_object(
            json::parse(R"({"points":[{"x":1,"z":2}]})"), back, shape_fields))
          == "unknown field 'points[0].z'");
    declare_fields(typeid(point), {});
    CHECK(to_json(point{1, 2}) == json::parse("[1,2]"));
  }

  TEST_CASE("percent decoding of path segments") {
    CHECK(percent_decode("a%2Fb%20c").value() == "a/b c");
    CHECK(percent_decode("plain").value() == "plain");
    CHECK(!percent_decode("bad%2"));
    CHECK(!percent_decode("bad%zz"));
    CHECK(!percent_decode("nul%00"));
    CHECK(!percent_decode("%"));
  }

  TEST_CASE("json_depth ignores brackets inside strings") {
    CHECK(json_depth("{}") == 1);
    CHECK(json_depth(R"({"a":[[1],{"b":[]}]})") == 4);
    CHECK(json_depth(R"({"a":"[[[[\"]]]"})") == 1);
    CHECK(json_depth(std::string(100000, '[')) == 100000);
  }

  TEST_CASE("seeded fuzz: mutated bodies decode or fail cleanly") {
    // Every outcome is a value or errc::invalid_argument; ASan and UBSan
    // catch what a crash test would not.
    uint64_t seed = 20261207;
    if (auto* env = std::getenv("CAF_CLUSTER_FUZZ_SEED"))
      seed = std::strtoull(env, nullptr, 10);
    INFO("seed " << seed << " (CAF_CLUSTER_FUZZ_SEED)");
    std::mt19937_64 rng{seed};
    const std::vector<std::string> corpus{
      R"({"name":"tri","points":[[1,2],[3,4]],"note":"n","tags":{"a":1},"closed":true,"scale":0.5,"layer":9})",
      R"({"points":[{"x":1,"y":2}],"tags":{}})",
      R"({"name":"\u00e9\ud83d\ude00","layer":255,"scale":-1e308})",
      R"({"note":null,"tags":{"k":-9223372036854775808}})",
    };
    const std::string alphabet = "{}[]\",:0123456789-+.eEtruefalsn\\u \x80\xff";
    declare_fields(typeid(point), {"x", "y"});
    size_t decoded = 0;
    size_t refused = 0;
    for (int i = 0; i < 20000; ++i) {
      auto text = corpus[rng() % corpus.size()];
      auto edits = 1 + rng() % 4;
      for (size_t e = 0; e < edits && !text.empty(); ++e) {
        auto pos = rng() % text.size();
        switch (rng() % 4) {
          case 0:
            text[pos] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
            break;
          case 2:
            text.erase(pos, 1 + rng() % 3);
            break;
          default:
            text.resize(pos);
        }
      }
      if (json_depth(text) > 64)
        continue;
      auto parsed = json::parse(text, nullptr, false);
      if (parsed.is_discarded()) {
        ++refused;
        continue;
      }
      shape s;
      auto err = parsed.is_object() ? from_json_object(parsed, s, shape_fields)
                                    : from_json(parsed, s, "body");
      if (err) {
        CHECK(err.category() == caf_cluster::errc_category);
        ++refused;
      } else {
        ++decoded;
        // What decoded writes back and decodes to the same JSON.
        auto again = to_json_object(s, shape_fields);
        shape t;
        REQUIRE(!from_json_object(again, t, shape_fields));
        CHECK(to_json_object(t, shape_fields) == again);
      }
    }
    declare_fields(typeid(point), {});
    MESSAGE("fuzz: " << decoded << " decoded, " << refused << " refused");
    CHECK(decoded > 100);
    CHECK(refused > 100);
  }
}
