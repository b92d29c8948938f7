// Zones of the tz database for cron expressions: the offset at an instant
// (from the TZif transitions, and from the POSIX rule after the last one),
// local times that daylight saving skips or repeats, and bad zone names.
// The table's expected instants come from Python's zoneinfo, an independent
// reader of the same tz database, by brute force over every minute; it keeps
// only cases without a daylight-saving change between start and result.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

#include "caf_cluster/cron/civil_time.hpp"
#include "caf_cluster/cron/cron_expression.hpp"
#include "caf_cluster/cron/time_zone.hpp"
#include "caf_cluster/errc.hpp"

#include "unit/error_text.hpp"

using namespace caf_cluster;
using namespace caf_cluster::cron;

namespace {

struct zoned_case {
  const char* zone;
  const char* expr;
  int64_t after_ms;
  int64_t next_ms;
};

// clang-format off
const zoned_case zoned_cases[] = {
  {"Australia/Sydney", "15 */6 * * *", 2388683280000, 2388687300000}, // 2045-09-10T19:08:00+00:00 -> 2045-09-10T20:15:00+00:00
  {"Europe/Berlin", "0 9 * * MON-FRI", 1944547080000, 1944802800000}, // 2031-08-15T07:58:00+00:00 -> 2031-08-18T07:00:00+00:00
  {"America/Sao_Paulo", "15 */6 * * *", 1770109517000, 1770110100000}, // 2026-02-03T09:05:17+00:00 -> 2026-02-03T09:15:00+00:00
  {"Asia/Kolkata", "0 9 * * MON-FRI", 1801805417000, 1802057400000}, // 2027-02-05T05:30:17+00:00 -> 2027-02-08T03:30:00+00:00
  {"Europe/Berlin", "0 9 * * MON-FRI", 1819921860000, 1819954800000}, // 2027-09-02T21:51:00+00:00 -> 2027-09-03T07:00:00+00:00
  {"America/Sao_Paulo", "30 2 * * SUN", 1774643820000, 1774762200000}, // 2026-03-27T20:37:00+00:00 -> 2026-03-29T05:30:00+00:00
  {"America/Sao_Paulo", "15 */6 * * *", 1939055940000, 1939065300000}, // 2031-06-12T18:39:00+00:00 -> 2031-06-12T21:15:00+00:00
  {"America/Sao_Paulo", "0 9 * * MON-FRI", 1943791080000, 1943870400000}, // 2031-08-06T13:58:00+00:00 -> 2031-08-07T12:00:00+00:00
  {"Europe/Berlin", "15 */6 * * *", 1928261220000, 1928272500000}, // 2031-02-07T20:07:00+00:00 -> 2031-02-07T23:15:00+00:00
  {"America/Sao_Paulo", "0 9 * * MON-FRI", 1815418517000, 1815480000000}, // 2027-07-12T18:55:17+00:00 -> 2027-07-13T12:00:00+00:00
  {"Australia/Sydney", "30 2 * * SUN", 2378974277000, 2379515400000}, // 2045-05-21T10:11:17+00:00 -> 2045-05-27T16:30:00+00:00
  {"America/New_York", "15 */6 * * *", 1801508177000, 1801523700000}, // 2027-02-01T18:56:17+00:00 -> 2027-02-01T23:15:00+00:00
  {"America/Sao_Paulo", "30 2 * * SUN", 1949468117000, 1949549400000}, // 2031-10-11T06:55:17+00:00 -> 2031-10-12T05:30:00+00:00
  {"Australia/Sydney", "0 9 * * MON-FRI", 1784403197000, 1784502000000}, // 2026-07-18T19:33:17+00:00 -> 2026-07-19T23:00:00+00:00
  {"America/New_York", "0 0 1 * *", 1830076937000, 1830315600000}, // 2027-12-29T10:42:17+00:00 -> 2028-01-01T05:00:00+00:00
  {"Asia/Kolkata", "0 9 * * MON-FRI", 1792880357000, 1792985400000}, // 2026-10-24T22:19:17+00:00 -> 2026-10-26T03:30:00+00:00
  {"Australia/Sydney", "0 0 1 * *", 2386299617000, 2387800800000}, // 2045-08-14T05:00:17+00:00 -> 2045-08-31T14:00:00+00:00
  {"Europe/Berlin", "0 9 * * MON-FRI", 1940900100000, 1940914800000}, // 2031-07-04T02:55:00+00:00 -> 2031-07-04T07:00:00+00:00
  {"Europe/Berlin", "0 0 1 * *", 2376391037000, 2377202400000}, // 2045-04-21T12:37:17+00:00 -> 2045-04-30T22:00:00+00:00
  {"Pacific/Chatham", "0 0 1 * *", 1782717497000, 1782818100000}, // 2026-06-29T07:18:17+00:00 -> 2026-06-30T11:15:00+00:00
  {"America/New_York", "0 9 * * MON-FRI", 2368819740000, 2368879200000}, // 2045-01-23T21:29:00+00:00 -> 2045-01-24T14:00:00+00:00
  {"Australia/Sydney", "15 */6 * * *", 1812112817000, 1812118500000}, // 2027-06-04T12:40:17+00:00 -> 2027-06-04T14:15:00+00:00
  {"Asia/Kolkata", "0 9 * * MON-FRI", 1813833797000, 1813894200000}, // 2027-06-24T10:43:17+00:00 -> 2027-06-25T03:30:00+00:00
  {"America/Sao_Paulo", "0 0 1 * *", 1826252057000, 1827630000000}, // 2027-11-15T04:14:17+00:00 -> 2027-12-01T03:00:00+00:00
  {"America/Sao_Paulo", "0 0 1 * *", 2378879957000, 2379898800000}, // 2045-05-20T07:59:17+00:00 -> 2045-06-01T03:00:00+00:00
  {"America/New_York", "15 */6 * * *", 1773138480000, 1773159300000}, // 2026-03-10T10:28:00+00:00 -> 2026-03-10T16:15:00+00:00
  {"America/New_York", "15 */6 * * *", 1783498200000, 1783505700000}, // 2026-07-08T08:10:00+00:00 -> 2026-07-08T10:15:00+00:00
  {"Australia/Sydney", "0 0 1 * *", 1772113697000, 1772283600000}, // 2026-02-26T13:48:17+00:00 -> 2026-02-28T13:00:00+00:00
  {"America/Sao_Paulo", "0 0 1 * *", 1929202740000, 1930100400000}, // 2031-02-18T17:39:00+00:00 -> 2031-03-01T03:00:00+00:00
  {"Asia/Kolkata", "30 2 * * SUN", 2380229117000, 2380741200000}, // 2045-06-04T22:45:17+00:00 -> 2045-06-10T21:00:00+00:00
  {"Europe/Berlin", "30 2 * * SUN", 2368930260000, 2369266200000}, // 2045-01-25T04:11:00+00:00 -> 2045-01-29T01:30:00+00:00
  {"Europe/Berlin", "15 */6 * * *", 2372287560000, 2372303700000}, // 2045-03-05T00:46:00+00:00 -> 2045-03-05T05:15:00+00:00
  {"Australia/Sydney", "0 9 * * MON-FRI", 1767233400000, 1767304800000}, // 2026-01-01T02:10:00+00:00 -> 2026-01-01T22:00:00+00:00
  {"America/Sao_Paulo", "0 9 * * MON-FRI", 1945585560000, 1945598400000}, // 2031-08-27T08:26:00+00:00 -> 2031-08-27T12:00:00+00:00
  {"Europe/Berlin", "15 */6 * * *", 2371826117000, 2371828500000}, // 2045-02-27T16:35:17+00:00 -> 2045-02-27T17:15:00+00:00
  {"Australia/Sydney", "0 0 1 * *", 2370963480000, 2371899600000}, // 2045-02-17T16:58:00+00:00 -> 2045-02-28T13:00:00+00:00
};
// clang-format on

time_zone zone(const char* name) {
  auto z = time_zone::load(name);
  REQUIRE_MESSAGE(z, name);
  return *z;
}

// Milliseconds of an ISO-8601 UTC instant `y-m-dTh:mi:s`.
int64_t utc(int64_t y, unsigned m, unsigned d, int64_t h, int64_t mi,
            int64_t s = 0) {
  return ((days_from_civil(y, m, d) * 24 + h) * 60 + mi) * 60'000 + s * 1000;
}

std::string next_in(const char* zone_name, const char* expr, int64_t after) {
  auto x = cron_expression::parse(expr, zone(zone_name));
  REQUIRE(x);
  auto next = x->next_ms(after);
  return next ? format_utc(*next) : "none";
}

} // namespace

TEST_CASE("zoned cron expressions agree with zoneinfo away from changes") {
  for (auto& c : zoned_cases) {
    INFO(c.zone << " \"" << c.expr << "\" after " << format_utc(c.after_ms));
    CHECK_EQ(next_in(c.zone, c.expr, c.after_ms), format_utc(c.next_ms));
  }
}

TEST_CASE("offsets come from transitions and, after them, the zone's rule") {
  auto berlin = zone("Europe/Berlin");
  CHECK_EQ(berlin.offset_at(utc(2026, 1, 15, 12, 0) / 1000), 3600);
  CHECK_EQ(berlin.offset_at(utc(2026, 7, 15, 12, 0) / 1000), 7200);
  // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
  CHECK_EQ(berlin.offset_at(utc(2026, 3, 29, 0, 59, 59) / 1000), 3600);
  CHECK_EQ(berlin.offset_at(utc(2026, 3, 29, 1, 0) / 1000), 7200);
  // Past the file's transitions (2037): the POSIX rule CET-1CEST,M3.5.0,M10.5.0/3.
  CHECK_EQ(berlin.offset_at(utc(2080, 3, 31, 0, 59) / 1000), 3600);
  CHECK_EQ(berlin.offset_at(utc(2080, 3, 31, 1, 0) / 1000), 7200);
  CHECK_EQ(berlin.offset_at(utc(2080, 10, 27, 0, 59) / 1000), 7200);
  CHECK_EQ(berlin.offset_at(utc(2080, 10, 27, 1, 0) / 1000), 3600);
  // Southern hemisphere: daylight time spans the turn of the year.
  auto sydney = zone("Australia/Sydney");
  CHECK_EQ(sydney.offset_at(utc(2090, 1, 10, 0, 0) / 1000), 11 * 3600);
  CHECK_EQ(sydney.offset_at(utc(2090, 7, 10, 0, 0) / 1000), 10 * 3600);
  CHECK_EQ(zone("Asia/Kolkata").offset_at(0), 19'800);
  CHECK_EQ(zone("UTC").offset_at(utc(2026, 6, 1, 0, 0) / 1000), 0);
  // Before the first transition: local mean time.
  CHECK_EQ(berlin.offset_at(-4'000'000'000), 3208);
}

TEST_CASE("a local time daylight saving skips runs after the jump, once") {
  // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not
  // exist and runs at 03:30 CEST (01:30 UTC).
  CHECK_EQ(next_in("Europe/Berlin", "30 2 * * *", utc(2026, 3, 28, 12, 0)),
           "2026-03-29T01:30:00Z");
  CHECK_EQ(next_in("Europe/Berlin", "30 2 * * *", utc(2026, 3, 29, 1, 30)),
           "2026-03-30T00:30:00Z");
  // Every 15 minutes: 01:45 CET, then 03:00 CEST; nothing twice.
  CHECK_EQ(next_in("Europe/Berlin", "*/15 * * * *", utc(2026, 3, 29, 0, 45)),
           "2026-03-29T01:00:00Z");
  CHECK_EQ(next_in("Europe/Berlin", "*/15 * * * *", utc(2026, 3, 29, 1, 0)),
           "2026-03-29T01:15:00Z");
  // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT.
  CHECK_EQ(next_in("America/New_York", "30 2 * * *", utc(2026, 3, 7, 12, 0)),
           "2026-03-08T07:30:00Z");
}

TEST_CASE("a local time daylight saving repeats runs at its first occurrence") {
  // 2026-10-25 in Berlin: 03:00 CEST falls back to 02:00 CET; 02:30 happens
  // at 00:30 UTC and again at 01:30 UTC, and runs at the first only.
  CHECK_EQ(next_in("Europe/Berlin", "30 2 * * *", utc(2026, 10, 24, 12, 0)),
           "2026-10-25T00:30:00Z");
  CHECK_EQ(next_in("Europe/Berlin", "30 2 * * *", utc(2026, 10, 25, 0, 30)),
           "2026-10-26T01:30:00Z");
  // Every 30 minutes: 02:30 CEST, then 03:00 CET; the repeated 02:00 and
  // 02:30 CET are skipped.
  CHECK_EQ(next_in("Europe/Berlin", "*/30 * * * *", utc(2026, 10, 25, 0, 30)),
           "2026-10-25T02:00:00Z");
  // Every second across the change: 02:59:59 CEST, then 03:00:00 CET.
  CHECK_EQ(next_in("Europe/Berlin", "* * * * * *",
                   utc(2026, 10, 25, 0, 59, 58)),
           "2026-10-25T00:59:59Z");
  CHECK_EQ(next_in("Europe/Berlin", "* * * * * *",
                   utc(2026, 10, 25, 0, 59, 59)),
           "2026-10-25T02:00:00Z");
  // From inside the repeated hour (second pass) onwards.
  CHECK_EQ(next_in("Europe/Berlin", "0 * * * *", utc(2026, 10, 25, 1, 10)),
           "2026-10-25T02:00:00Z");
}

TEST_CASE("bad zone names are refused with the name") {
  for (std::string name : {"", "Mars/Olympus", "../../etc/passwd",
                           "/etc/localtime", "Europe/Berlin;rm", "Europe"}) {
    INFO("zone \"" << name << "\"");
    auto z = time_zone::load(name);
    REQUIRE(!z);
    CHECK_EQ(z.error(), errc::invalid_argument);
    CHECK(testing::describe(z.error()).find("time zone \"" + name + "\"")
          != std::string::npos);
  }
}

TEST_CASE("a damaged tz file is refused, never half read") {
  char dir[] = "/tmp/caf-cluster-tz-XXXXXX";
  REQUIRE(mkdtemp(dir));
  auto write = [&](const char* name, const std::string& bytes) {
    std::ofstream out{std::string{dir} + "/" + name, std::ios::binary};
    out << bytes;
  };
  std::ifstream real{"/usr/share/zoneinfo/Europe/Berlin", std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>{real},
                    std::istreambuf_iterator<char>{}};
  REQUIRE(bytes.size() > 100);
  write("Short", bytes.substr(0, bytes.size() / 2));
  write("NotTzif", "hello, world");
  write("BadRule", bytes.substr(0, bytes.rfind('\n', bytes.size() - 2) + 1)
                     + "CET-1CEST,M13.5.0\n");
  write("Copy", bytes);
  setenv("TZDIR", dir, 1);
  for (std::string name : {"Short", "NotTzif", "BadRule"}) {
    INFO(name);
    auto z = time_zone::load(name);
    REQUIRE(!z);
    CHECK_EQ(z.error(), errc::invalid_argument);
  }
  auto copy = time_zone::load("Copy");
  unsetenv("TZDIR");
  REQUIRE(copy);
  CHECK_EQ(copy->offset_at(utc(2026, 7, 1, 0, 0) / 1000), 7200);
  for (auto name : {"Short", "NotTzif", "BadRule", "Copy"})
    std::remove((std::string{dir} + "/" + name).c_str());
  rmdir(dir);
}

TEST_CASE("fixed offsets keep working as zones") {
  auto x = cron_expression::parse("0 9 * * *", std::chrono::minutes{330});
  REQUIRE(x);
  CHECK_EQ(x->zone().name(), "+05:30");
  CHECK_EQ(format_utc(*x->next_ms(utc(2026, 1, 1, 0, 0))),
           "2026-01-01T03:30:00Z");
  CHECK_EQ(time_zone::fixed(std::chrono::minutes{-90}).name(), "-01:30");
  CHECK_EQ(time_zone{}.name(), "UTC");
}
