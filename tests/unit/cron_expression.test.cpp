// Cron expressions (caf_cluster::cron): next_ms against a table whose expected
// instants come from an independent brute-force oracle (a Python script that
// steps minute by minute / second by second through UTC + offset and applies the
// documented rules; far-future and "none" rows were searched day by day, and
// 2096 -> 2104 was also confirmed minute by minute), chained schedules, and the
// errors a user reads for bad expressions.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "caf_cluster/cron/cron_expression.hpp"
#include "caf_cluster/errc.hpp"

using namespace caf_cluster::cron;
using caf_cluster::errc;

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil). Written out so the test depends on neither timegm nor the
// machine's time zone; the era arithmetic is correct for years before 1970.
constexpr int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;        // [0, 146096]
  return era * 146097 + doe - 719468;
}

// "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) -> ms since the
// epoch. Throws on a malformed literal so a typo in the table fails loudly.
int64_t to_ms(std::string_view iso) {
  const bool has_ms = iso.size() == 24;
  if ((iso.size() != 20 && !has_ms) || iso[4] != '-' || iso[7] != '-'
      || iso[10] != 'T' || iso[13] != ':' || iso[16] != ':'
      || iso.back() != 'Z' || (has_ms && iso[19] != '.'))
    throw std::invalid_argument("bad ISO literal: " + std::string{iso});
  auto num = [iso](size_t pos, size_t len) {
    return static_cast<int64_t>(std::stoll(std::string{iso.substr(pos, len)}));
  };
  const int64_t days = days_from_civil(num(0, 4), num(5, 2), num(8, 2));
  const int64_t secs = days * 86400 + num(11, 2) * 3600 + num(14, 2) * 60
                       + num(17, 2);
  return secs * 1000 + (has_ms ? num(20, 3) : 0);
}

// "none" -> nullopt, anything else -> to_ms; matches the table's notation.
std::optional<int64_t> expected_ms(std::string_view iso) {
  if (iso == "none")
    return std::nullopt;
  return to_ms(iso);
}

// Renders a result as ms (or "none") for INFO, since doctest cannot print
// std::optional on its own.
std::string show(const std::optional<int64_t>& x) {
  return x ? std::to_string(*x) : std::string{"none"};
}

// The single string context of a cluster error (see tests/unit/error_text.hpp).
std::string message_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return "<no string context>";
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

struct next_case {
  const char* expr;
  int offset_minutes; // east of UTC positive; 0 uses parse(text)
  const char* start;  // ISO-8601 UTC
  const char* expected; // ISO-8601 UTC, or "none"
  const char* why;
};

// Expected values were computed by the oracle, not by hand. Weekday anchors:
// 2024-03-08 and 2024-11-15 are Fridays, 2024-03-10 is a Sunday.
const next_case next_cases[] = {
  // every minute / second; strictly-after semantics
  {"* * * * *", 0, "2024-03-10T10:00:00Z", "2024-03-10T10:01:00Z",
   "start on a match -> the next minute"},
  {"* * * * *", 0, "2024-03-10T10:00:30Z", "2024-03-10T10:01:00Z",
   "mid-minute start -> next whole minute"},
  {"* * * * *", 0, "2024-03-10T10:00:59.999Z", "2024-03-10T10:01:00Z",
   "ms just before the boundary"},
  {"* * * * *", 0, "1969-12-31T23:59:59.500Z", "1970-01-01T00:00:00Z",
   "negative ms (before the epoch) must floor, not truncate"},
  // fixed times
  {"30 14 * * *", 0, "2024-03-10T10:00:00Z", "2024-03-10T14:30:00Z",
   "later the same day"},
  {"30 14 * * *", 0, "2024-03-10T14:30:00Z", "2024-03-11T14:30:00Z",
   "exactly on the match -> next day"},
  {"30 14 * * *", 0, "2024-03-10T14:31:00Z", "2024-03-11T14:30:00Z",
   "just missed -> next day"},
  {"0 0 1 1 *", 0, "2024-06-15T12:00:00Z", "2025-01-01T00:00:00Z",
   "new year"},
  // steps
  {"*/15 * * * *", 0, "2024-03-10T10:07:00Z", "2024-03-10T10:15:00Z",
   "*/15 -> :15"},
  {"*/15 * * * *", 0, "2024-03-10T10:45:00Z", "2024-03-10T11:00:00Z",
   "*/15 wraps the hour"},
  {"5-50/10 * * * *", 0, "2024-03-10T10:46:00Z", "2024-03-10T11:05:00Z",
   "5,15,..,45 then next hour :05"},
  {"5-50/10 * * * *", 0, "2024-03-10T10:15:00Z", "2024-03-10T10:25:00Z",
   "on 15 -> 25"},
  {"10/20 * * * *", 0, "2024-03-10T10:31:00Z", "2024-03-10T10:50:00Z",
   "a/n runs to the max: 10,30,50"},
  {"10/20 * * * *", 0, "2024-03-10T10:50:00Z", "2024-03-10T11:10:00Z",
   "after 50 -> next hour :10"},
  {"0 */6 * * *", 0, "2024-03-10T19:00:00Z", "2024-03-11T00:00:00Z",
   "hour step 0,6,12,18 -> next day 00:00"},
  // lists and ranges
  {"0 8,12,18 * * *", 0, "2024-03-10T12:00:00Z", "2024-03-10T18:00:00Z",
   "list, on a match -> next element"},
  {"0 8,12,18 * * *", 0, "2024-03-10T18:30:00Z", "2024-03-11T08:00:00Z",
   "list wraps to next day"},
  {"0 9-17 * * *", 0, "2024-03-10T17:00:00Z", "2024-03-11T09:00:00Z",
   "range end -> next day 09:00"},
  {"15,45 9-10 * * *", 0, "2024-03-10T10:45:00Z", "2024-03-11T09:15:00Z",
   "list x range"},
  {"0 0 1,15 * *", 0, "2024-03-02T00:00:00Z", "2024-03-15T00:00:00Z",
   "dom list"},
  // names, case-insensitive, name ranges
  {"0 9 * * MON-FRI", 0, "2024-03-08T10:00:00Z", "2024-03-11T09:00:00Z",
   "Fri after 9 -> Mon (2024-03-08 is a Friday)"},
  {"0 9 * * mon-fri", 0, "2024-03-09T08:00:00Z", "2024-03-11T09:00:00Z",
   "lower-case range, Sat -> Mon"},
  {"0 9 * * Sun", 0, "2024-03-05T00:00:00Z", "2024-03-10T09:00:00Z",
   "mixed-case weekday name"},
  {"0 0 1 JAN-MAR *", 0, "2024-03-15T00:00:00Z", "2025-01-01T00:00:00Z",
   "month name range, after Mar 1 -> next Jan 1"},
  {"0 0 1 jun,Dec *", 0, "2024-06-01T00:00:00Z", "2024-12-01T00:00:00Z",
   "month name list, mixed case"},
  // day-of-week 7 == Sunday
  {"0 12 * * 7", 0, "2024-03-05T00:00:00Z", "2024-03-10T12:00:00Z",
   "7 is Sunday -> 2024-03-10"},
  {"0 12 * * 0", 0, "2024-03-05T00:00:00Z", "2024-03-10T12:00:00Z",
   "0 is Sunday -> same as 7"},
  {"0 12 * * 5-7", 0, "2024-03-09T13:00:00Z", "2024-03-10T12:00:00Z",
   "range ending at 7 includes Sunday"},
  // month ends
  {"0 0 31 * *", 0, "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z",
   "April has 30 days -> May 31"},
  {"0 0 31 * *", 0, "2024-01-31T00:00:00Z", "2024-03-31T00:00:00Z",
   "skip Feb (and its 29) -> Mar 31"},
  {"0 0 31 * *", 0, "2024-07-31T00:00:00Z", "2024-08-31T00:00:00Z",
   "Jul 31 -> Aug 31 (consecutive 31-day months)"},
  {"0 0 30 * *", 0, "2024-01-30T00:00:00Z", "2024-03-30T00:00:00Z",
   "Feb has no 30th -> Mar 30"},
  // leap years
  {"0 0 29 2 *", 0, "2025-03-01T00:00:00Z", "2028-02-29T00:00:00Z",
   "next Feb 29 is 2028"},
  {"0 0 29 2 *", 0, "1999-01-01T00:00:00Z", "2000-02-29T00:00:00Z",
   "2000 is a leap year (divisible by 400)"},
  {"0 0 29 2 *", 0, "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z",
   "2100 is NOT a leap year -> 2104"},
  {"* * * * *", 0, "2028-02-28T23:59:00Z", "2028-02-29T00:00:00Z",
   "leap day follows Feb 28 in 2028"},
  {"* * * * *", 0, "2100-02-28T23:59:00Z", "2100-03-01T00:00:00Z",
   "no leap day in 2100 -> Mar 1"},
  // year rollover
  {"* * * * *", 0, "2024-12-31T23:59:00Z", "2025-01-01T00:00:00Z",
   "minute rolls the year"},
  {"* * * * * *", 0, "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z",
   "second rolls the year"},
  // Vixie cron's day rule: both day fields restricted -> either matches; a
  // field whose text starts with '*' -> both must match (so "*/2" still
  // filters: odd days only)
  {"0 0 13 * FRI", 0, "2024-11-10T00:00:00Z", "2024-11-13T00:00:00Z",
   "13th (a Wednesday) before the Friday"},
  {"0 0 13 * FRI", 0, "2024-11-13T00:00:00Z", "2024-11-15T00:00:00Z",
   "then the Friday (Nov 15) though not the 13th"},
  {"0 0 13 * FRI", 0, "2024-11-15T00:00:00Z", "2024-11-22T00:00:00Z",
   "next Friday Nov 22"},
  {"0 0 30 2 MON", 0, "2024-03-01T00:00:00Z", "2025-02-03T00:00:00Z",
   "Feb 30 never exists, but OR with Monday -> Mondays in Feb"},
  {"0 0 */2 * MON", 0, "2024-03-05T00:00:00Z", "2024-03-11T00:00:00Z",
   "dom starts with '*': Mondays on odd days (Mar 11)"},
  {"0 0 */2 * MON", 0, "2024-03-11T00:00:00Z", "2024-03-25T00:00:00Z",
   "Mar 18 is a Monday on an even day: skipped, Mar 25 fires"},
  {"0 0 1 * *", 0, "2024-03-05T00:00:00Z", "2024-04-01T00:00:00Z",
   "dow '*': only dom restricts"},
  // 6 fields
  {"*/10 * * * * *", 0, "2024-03-10T10:00:00Z", "2024-03-10T10:00:10Z",
   "on a match -> +10 s"},
  {"*/10 * * * * *", 0, "2024-03-10T10:00:55.500Z", "2024-03-10T10:01:00Z",
   "wraps the minute"},
  {"15,45 * * * * *", 0, "2024-03-10T10:00:45Z", "2024-03-10T10:01:15Z",
   "list of seconds wraps"},
  {"30 0 12 * * *", 0, "2024-03-10T12:00:30Z", "2024-03-11T12:00:30Z",
   "exactly on the match -> next day"},
  {"0 0 0 1 1 *", 0, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z",
   "6-field yearly, on the match -> next year"},
  {"5 30 9 * * MON-FRI", 0, "2024-03-08T09:30:05Z", "2024-03-11T09:30:05Z",
   "6 fields with weekday range"},
  // fixed offsets
  {"30 1 * * *", 330, "2024-03-10T12:00:00Z", "2024-03-10T20:00:00Z",
   "+05:30: local 01:30 on the 11th is 20:00 UTC on the 10th"},
  {"0 0 1 * *", 330, "2024-03-05T00:00:00Z", "2024-03-31T18:30:00Z",
   "+05:30: local Apr 1 00:00 is Mar 31 18:30 UTC"},
  {"0 9 * * MON", 330, "2024-03-05T00:00:00Z", "2024-03-11T03:30:00Z",
   "+05:30: Monday 09:00 local = 03:30 UTC"},
  {"0 20 * * FRI", -480, "2024-03-05T00:00:00Z", "2024-03-09T04:00:00Z",
   "-08:00: Friday 20:00 local is Saturday 04:00 UTC"},
  {"0 0 1 1 *", -480, "2024-06-01T00:00:00Z", "2025-01-01T08:00:00Z",
   "-08:00: local new year is 08:00 UTC Jan 1"},
  {"0 23 31 12 *", -480, "2024-12-31T12:00:00Z", "2025-01-01T07:00:00Z",
   "-08:00: local Dec 31 23:00 is Jan 1 07:00 UTC"},
  {"0 0 * * *", 1080, "2024-03-10T00:00:00Z", "2024-03-10T06:00:00Z",
   "+18:00 is the largest offset: local midnight is 06:00 UTC"},
  {"0 0 * * *", -1080, "2024-03-10T00:00:00Z", "2024-03-10T18:00:00Z",
   "-18:00 is the smallest offset: local midnight is 18:00 UTC"},
  // impossible
  {"0 0 30 2 *", 0, "2024-01-01T00:00:00Z", "none",
   "Feb 30 never exists"},
  {"0 0 31 4,6,9,11 *", 0, "2024-01-01T00:00:00Z", "none",
   "31st of 30-day months never exists"},
};

// Uses the one-argument parse for offset 0 so both overloads are exercised.
caf::expected<cron_expression> parse_with(const char* text, int offset) {
  if (offset == 0)
    return cron_expression::parse(text);
  return cron_expression::parse(text, std::chrono::minutes{offset});
}

} // namespace

TEST_SUITE("caf_cluster.cron.cron_expression") {

TEST_CASE("the ISO helper agrees with known epoch values") {
  // The table is only as good as this conversion, so pin it first.
  CHECK(to_ms("1970-01-01T00:00:00Z") == 0);
  CHECK(to_ms("1970-01-01T00:00:01.250Z") == 1250);
  CHECK(to_ms("1969-12-31T23:59:59Z") == -1000);
  CHECK(to_ms("2000-03-01T00:00:00Z") == int64_t{951868800} * 1000);
  CHECK(to_ms("2024-02-29T12:00:00Z") == int64_t{1709208000} * 1000);
  CHECK(to_ms("2100-03-01T00:00:00Z") == int64_t{4107542400} * 1000);
}

TEST_CASE("next_ms returns the first match strictly after the start") {
  size_t n = 0;
  for (const auto& c : next_cases) {
    ++n;
    INFO("expression \"" << c.expr << "\" offset " << c.offset_minutes
                         << " min, start " << c.start << " (" << c.why
                         << ")");
    auto x = parse_with(c.expr, c.offset_minutes);
    REQUIRE(x);
    CHECK(x->text() == c.expr);
    const auto got = x->next_ms(to_ms(c.start));
    const auto want = expected_ms(c.expected);
    INFO("expected " << c.expected << " = " << show(want) << ", got "
                     << show(got));
    CHECK(got == want);
  }
  CHECK(n >= 45);
}

TEST_CASE("chaining next_ms walks the schedule") {
  // Feeding each result back in must advance (strictly after), never repeat.
  struct chain {
    const char* expr;
    const char* start;
    std::vector<const char*> expected;
  };
  const chain chains[] = {
    // Crosses the year boundary: 23:40, then midnight of the new year.
    {"*/20 * * * *",
     "2024-12-31T23:30:00Z",
     {"2024-12-31T23:40:00Z", "2025-01-01T00:00:00Z", "2025-01-01T00:20:00Z",
      "2025-01-01T00:40:00Z", "2025-01-01T01:00:00Z"}},
    // Starts on a match (Thursday 09:00) and skips the weekend after Friday.
    {"0 9 * * MON-FRI",
     "2024-03-07T09:00:00Z",
     {"2024-03-08T09:00:00Z", "2024-03-11T09:00:00Z", "2024-03-12T09:00:00Z",
      "2024-03-13T09:00:00Z", "2024-03-14T09:00:00Z"}},
  };
  for (const auto& c : chains) {
    INFO("expression \"" << c.expr << "\" from " << c.start);
    auto x = cron_expression::parse(c.expr);
    REQUIRE(x);
    int64_t at = to_ms(c.start);
    for (size_t i = 0; i < c.expected.size(); ++i) {
      INFO("step " << i << ", expected " << c.expected[i]);
      auto next = x->next_ms(at);
      REQUIRE(next);
      CHECK(*next == to_ms(c.expected[i]));
      at = *next;
    }
  }
}

TEST_CASE("invalid expressions name the field and quote the bad token") {
  struct bad {
    const char* text;
    const char* field; // a field name, or "5 or 6 fields"; nullptr: code only
    const char* token; // quoted in the message; nullptr: not checked
  };
  const bad cases[] = {
    {"61 * * * *", "minute", "61"},          // above 59
    {"a * * * *", "minute", "a"},            // letters are no number
    {"*/0 * * * *", "minute", "*/0"},        // step zero: whole item quoted
    {"5-1 * * * *", "minute", "5-1"},        // reversed range: whole item
    {"0 24 * * *", "hour", "24"},            // above 23
    {"0 1- * * *", "hour", "1-"},            // incomplete range
    {"0 -1 * * *", "hour", "-1"},            // negative number
    {"0 5x * * *", "hour", "5x"},            // trailing garbage
    {"0 0 1,32 * *", "day-of-month", "32"},  // bad list element, not the list
    {"0 0 0 * *", "day-of-month", "0"},      // days start at 1
    {"0 0 1 13 *", "month", "13"},           // above 12
    {"0 0 1 FOO *", "month", "FOO"},         // unknown name
    {"0 0 1 MON *", "month", "MON"},         // weekday name in month field
    {"0 0 * * 8", "day-of-week", "8"},       // only 0-7
    {"0 0 * * JAN", "day-of-week", "JAN"},   // month name in weekday field
    {"60 * * * * *", "second", "60"},        // 6 fields: seconds 0-59
    {"* * * *", "5 or 6 fields", nullptr},
    {"* * * * * * *", "5 or 6 fields", nullptr},
    {"", nullptr, nullptr},                  // empty text
    {"   ", nullptr, nullptr},               // blanks only: no fields at all
  };
  for (const auto& c : cases) {
    INFO("expression \"" << c.text << "\"");
    auto x = cron_expression::parse(c.text);
    REQUIRE(!x);
    CHECK(x.error() == errc::invalid_argument);
    const auto msg = message_of(x.error());
    INFO("message: " << msg);
    if (c.field != nullptr) {
      CHECK(contains(msg, c.field));
      // "month" is a substring of "day-of-month"; make sure the right one.
      if (std::string_view{c.field} == "month")
        CHECK(!contains(msg, "day-of-month"));
    }
    if (c.token != nullptr)
      CHECK(contains(msg, "\"" + std::string{c.token} + "\""));
  }
}

TEST_CASE("the UTC offset must stay within -18h..+18h") {
  using std::chrono::minutes;
  // The bounds themselves are valid (the table evaluates both).
  CHECK(cron_expression::parse("0 0 * * *", minutes{18 * 60}));
  CHECK(cron_expression::parse("0 0 * * *", minutes{-18 * 60}));
  for (int offset : {18 * 60 + 1, -(18 * 60 + 1), 24 * 60, -24 * 60}) {
    INFO("offset " << offset << " min");
    auto x = cron_expression::parse("0 0 * * *", minutes{offset});
    REQUIRE(!x);
    CHECK(x.error() == errc::invalid_argument);
  }
}

} // TEST_SUITE
