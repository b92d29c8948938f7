// The log's contract: level names as `cluster.log-level` takes them, the line
// format of the default sink, and the option's parsing and refusal.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/log.hpp"
#include "caf_cluster/sharding_config.hpp"

using caf_cluster::log_level;
using caf_cluster::log_record;

namespace {

caf::expected<caf_cluster::sharding_config>
read(std::vector<std::string> args, const std::string& ini = "") {
  caf_cluster::cluster_config cfg;
  std::istringstream in{ini};
  if (auto err = cfg.parse(std::move(args), in))
    return err;
  return cfg.sharding();
}

std::string message_of(const caf::error& err) {
  if (err.context().size() == 1 && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return caf::to_string(err);
}

} // namespace

TEST_SUITE("caf_cluster.log") {

TEST_CASE("level names parse in any case and print lower case") {
  CHECK(caf_cluster::parse_log_level("trace") == log_level::trace);
  CHECK(caf_cluster::parse_log_level("DEBUG") == log_level::debug);
  CHECK(caf_cluster::parse_log_level("Info") == log_level::info);
  CHECK(caf_cluster::parse_log_level("warning") == log_level::warning);
  CHECK(caf_cluster::parse_log_level("warn") == log_level::warning);
  CHECK(caf_cluster::parse_log_level("error") == log_level::error);
  CHECK(caf_cluster::parse_log_level("off") == log_level::off);
  CHECK(!caf_cluster::parse_log_level(""));
  CHECK(!caf_cluster::parse_log_level("verbose"));
  CHECK(!caf_cluster::parse_log_level("info "));
  for (auto x : {log_level::trace, log_level::debug, log_level::info,
                 log_level::warning, log_level::error, log_level::off})
    CHECK(caf_cluster::parse_log_level(caf_cluster::to_string(x)) == x);
  CHECK_EQ(std::string{caf_cluster::to_string(log_level::warning)}, "warning");
}

TEST_CASE("a line: UTC time to the millisecond, padded level, runner") {
  log_record x;
  x.time_ms = 1'796'513'401'123; // 2026-12-05T23:30:01.123Z
  x.level = log_level::info;
  x.component = "membership";
  x.runner = "127.0.0.1:7001";
  x.text = "runner 127.0.0.1:7002 joined";
  CHECK_EQ(caf_cluster::format_log_line(x),
           "2026-12-05T23:30:01.123Z INFO  [127.0.0.1:7001] membership: "
           "runner 127.0.0.1:7002 joined");
  x.level = log_level::warning;
  x.runner.clear();
  x.time_ms = 7;
  x.component = "shards";
  x.text = "lost 1 shards";
  CHECK_EQ(caf_cluster::format_log_line(x),
           "1970-01-01T00:00:00.007Z WARN  [-] shards: lost 1 shards");
  x.level = log_level::error;
  x.time_ms = -1; // a clock before the epoch still prints a valid time
  CHECK_EQ(caf_cluster::format_log_line(x),
           "1969-12-31T23:59:59.999Z ERROR [-] shards: lost 1 shards");
  x.level = log_level::debug;
  x.time_ms = 0;
  CHECK_EQ(caf_cluster::format_log_line(x).substr(0, 30),
           "1970-01-01T00:00:00.000Z DEBUG");
}

TEST_CASE("cluster.log-level defaults to info and takes every level") {
  REQUIRE(read({}));
  CHECK(read({})->log_level == log_level::info);
  auto x = read({"--cluster.log-level=debug"});
  REQUIRE(x);
  CHECK(x->log_level == log_level::debug);
  x = read({}, "[cluster]\nlog-level = \"WARNING\"\n");
  REQUIRE(x);
  CHECK(x->log_level == log_level::warning);
  x = read({"--cluster.log-level=off"});
  REQUIRE(x);
  CHECK(x->log_level == log_level::off);
}

TEST_CASE("cluster.log-level refuses an unknown level by name") {
  auto x = read({"--cluster.log-level=loud"});
  REQUIRE(!x);
  CHECK(x.error().category() == caf_cluster::errc_category);
  CHECK_EQ(message_of(x.error()),
           "cluster.log-level must be one of trace, debug, info, warning, "
           "error or off, got \"loud\"");
  x = read({}, "[cluster]\nlog-level = 3\n");
  REQUIRE(!x);
  CHECK_EQ(message_of(x.error()),
           "cluster.log-level must be one of trace, debug, info, warning, "
           "error or off, got 3");
}

} // TEST_SUITE
