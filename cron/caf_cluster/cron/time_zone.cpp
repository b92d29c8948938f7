#include "caf_cluster/cron/time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "caf_cluster/cron/civil_time.hpp"
#include "caf_cluster/errc.hpp"

namespace caf_cluster::cron {

namespace {

constexpr int64_t day_s = 86'400;

// A day of the year in a POSIX TZ rule.
struct rule_day {
  char kind = 'M'; // 'M' month.week.weekday, 'J' 1..365 without Feb 29,
                   // 'N' 0..365 with it
  int month = 0;
  int week = 0;         // 1..5, 5 = last
  int weekday = 0;      // 0 = Sunday
  int day = 0;          // for 'J' and 'N'
  int64_t time = 7'200; // local time of day of the change, seconds
};

// The POSIX TZ string at the end of a TZif file: the rule for instants after
// its last transition, e.g. `CET-1CEST,M3.5.0,M10.5.0/3`.
struct posix_rule {
  int64_t std_offset = 0; // east positive
  bool has_dst = false;
  int64_t dst_offset = 0;
  rule_day start;
  rule_day end;
};

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Days since the epoch of rule day `d` in year `y`.
int64_t day_of(const rule_day& d, int64_t y) {
  auto jan1 = days_from_civil(y, 1, 1);
  if (d.kind == 'J')
    return jan1 + d.day - 1 + (is_leap(y) && d.day >= 60 ? 1 : 0);
  if (d.kind == 'N')
    return jan1 + d.day;
  auto first = days_from_civil(y, static_cast<unsigned>(d.month), 1);
  auto first_weekday = (first + 4) - floor_div(first + 4, 7) * 7; // 0 = Sunday
  auto day = first + (d.weekday - first_weekday + 7) % 7 + 7 * (d.week - 1);
  auto next_month = d.month == 12
    ? days_from_civil(y + 1, 1, 1)
    : days_from_civil(y, static_cast<unsigned>(d.month + 1), 1);
  while (day >= next_month)
    day -= 7;
  return day;
}

int64_t rule_offset(const posix_rule& r, int64_t utc_s) {
  if (!r.has_dst)
    return r.std_offset;
  auto year = civil_from_days(floor_div(utc_s + r.std_offset, day_s)).year;
  // The changes happen at local times: the start in standard time, the end
  // in daylight time.
  auto start = day_of(r.start, year) * day_s + r.start.time - r.std_offset;
  auto end = day_of(r.end, year) * day_s + r.end.time - r.dst_offset;
  auto dst = start < end ? (utc_s >= start && utc_s < end)
                         : !(utc_s >= end && utc_s < start);
  return dst ? r.dst_offset : r.std_offset;
}

// A cursor over the POSIX TZ string.
struct rule_parser {
  std::string_view in;
  size_t pos = 0;

  bool done() const {
    return pos >= in.size();
  }

  char peek() const {
    return done() ? '\0' : in[pos];
  }

  bool name() {
    if (peek() == '<') {
      auto close = in.find('>', pos);
      if (close == std::string_view::npos)
        return false;
      pos = close + 1;
      return true;
    }
    auto begin = pos;
    while (std::isalpha(static_cast<unsigned char>(peek())))
      ++pos;
    return pos - begin >= 3;
  }

  // At most 6 digits: enough for any field, far from overflowing.
  bool number(int64_t& x) {
    auto begin = pos;
    x = 0;
    while (std::isdigit(static_cast<unsigned char>(peek())) && pos - begin < 6)
      x = x * 10 + (in[pos++] - '0');
    return pos > begin && !std::isdigit(static_cast<unsigned char>(peek()));
  }

  // [+-]hh[:mm[:ss]] in seconds.
  bool clock_time(int64_t& x) {
    int64_t sign = 1;
    if (peek() == '+' || peek() == '-')
      sign = in[pos++] == '-' ? -1 : 1;
    int64_t h = 0, m = 0, s = 0;
    if (!number(h))
      return false;
    if (peek() == ':') {
      ++pos;
      if (!number(m))
        return false;
      if (peek() == ':') {
        ++pos;
        if (!number(s))
          return false;
      }
    }
    x = sign * (h * 3600 + m * 60 + s);
    return true;
  }

  bool day(rule_day& d) {
    int64_t a = 0, b = 0, c = 0;
    if (peek() == 'M') {
      ++pos;
      if (!number(a) || peek() != '.')
        return false;
      ++pos;
      if (!number(b) || peek() != '.')
        return false;
      ++pos;
      if (!number(c) || a < 1 || a > 12 || b < 1 || b > 5 || c > 6)
        return false;
      d.kind = 'M';
      d.month = static_cast<int>(a);
      d.week = static_cast<int>(b);
      d.weekday = static_cast<int>(c);
    } else {
      d.kind = peek() == 'J' ? 'J' : 'N';
      if (d.kind == 'J')
        ++pos;
      if (!number(a) || a > 365 || (d.kind == 'J' && a < 1))
        return false;
      d.day = static_cast<int>(a);
    }
    if (peek() == '/') {
      ++pos;
      return clock_time(d.time);
    }
    return true;
  }

  // POSIX offsets count hours west of UTC.
  bool parse(posix_rule& r) {
    int64_t west = 0;
    if (!name() || !clock_time(west))
      return false;
    r.std_offset = -west;
    if (done())
      return true;
    if (!name())
      return false;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (peek() != ',' && !done()) {
      if (!clock_time(west))
        return false;
      r.dst_offset = -west;
    }
    if (done()) {
      // No rule given: the US rule, as glibc assumes.
      r.start = rule_day{'M', 3, 2, 0, 0, 7'200};
      r.end = rule_day{'M', 11, 1, 0, 0, 7'200};
      return true;
    }
    if (peek() != ',')
      return false;
    ++pos;
    if (!day(r.start) || peek() != ',')
      return false;
    ++pos;
    return day(r.end) && done();
  }
};

// Big-endian reads from the file's bytes.
struct byte_reader {
  const std::string& bytes;
  size_t pos = 0;

  bool has(size_t n) const {
    return pos + n <= bytes.size();
  }

  int64_t be(size_t n) {
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i)
      x = (x << 8) | static_cast<uint8_t>(bytes[pos + i]);
    pos += n;
    // Sign-extend 4-byte values.
    if (n == 4)
      return static_cast<int32_t>(static_cast<uint32_t>(x));
    return static_cast<int64_t>(x);
  }
};

struct tzif_counts {
  int64_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;

  size_t v1_size() const {
    return static_cast<size_t>(time * 5 + type * 6 + chars + leap * 8 + isstd
                               + isut);
  }
};

bool read_header(byte_reader& in, tzif_counts& c, char& version) {
  if (!in.has(44) || in.bytes.compare(in.pos, 4, "TZif") != 0)
    return false;
  version = in.bytes[in.pos + 4];
  in.pos += 20;
  c.isut = in.be(4);
  c.isstd = in.be(4);
  c.leap = in.be(4);
  c.time = in.be(4);
  c.type = in.be(4);
  c.chars = in.be(4);
  return c.isut >= 0 && c.isstd >= 0 && c.leap >= 0 && c.time >= 0
    && c.type >= 1 && c.chars >= 0;
}

} // namespace

struct time_zone::data {
  std::vector<int64_t> times;     // transitions, ascending
  std::vector<int64_t> offsets;   // offset from each transition on
  int64_t initial = 0;            // offset before the first transition
  std::optional<posix_rule> rule; // after the last transition
};

time_zone::time_zone() : name_("UTC") {
  // nop
}

time_zone time_zone::fixed(std::chrono::minutes offset) {
  time_zone result;
  auto m = offset.count();
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%c%02lld:%02lld", m < 0 ? '-' : '+',
                static_cast<long long>(std::abs(m) / 60),
                static_cast<long long>(std::abs(m) % 60));
  result.name_ = m == 0 ? "UTC" : buf;
  result.fixed_offset_ = m * 60;
  return result;
}

caf::expected<time_zone> time_zone::load(std::string_view name) {
  auto refuse = [&](const std::string& why) {
    return caf::make_error(errc::invalid_argument,
                           "time zone \"" + std::string{name} + "\": " + why);
  };
  if (name.empty() || name.front() == '/'
      || name.find("..") != std::string_view::npos
      || std::any_of(name.begin(), name.end(), [](char c) {
           return !(std::isalnum(static_cast<unsigned char>(c)) || c == '/'
                    || c == '_' || c == '-' || c == '+');
         }))
    return refuse("not a zone name (like Europe/Berlin)");
  std::string dir = "/usr/share/zoneinfo";
  if (auto env = std::getenv("TZDIR"); env && *env)
    dir = env;
  auto path = dir + "/" + std::string{name};
  std::error_code ec;
  std::ifstream file;
  if (std::filesystem::is_regular_file(path, ec))
    file.open(path, std::ios::binary);
  if (!file)
    return refuse("not found in the tz database (" + path + ")");
  std::string bytes{std::istreambuf_iterator<char>{file},
                    std::istreambuf_iterator<char>{}};
  byte_reader in{bytes};
  tzif_counts c;
  char version = 0;
  if (!read_header(in, c, version) || version < '2')
    return refuse("not a TZif file of version 2 or later (" + path + ")");
  in.pos += c.v1_size();
  if (!read_header(in, c, version))
    return refuse("damaged TZif file (" + path + ")");
  if (c.leap > 0)
    return refuse("has leap seconds, which cron does not count (" + path + ")");
  auto body = static_cast<size_t>(c.time * 9 + c.type * 6 + c.chars
                                  + c.leap * 12 + c.isstd + c.isut);
  if (!in.has(body))
    return refuse("truncated TZif file (" + path + ")");
  auto zone = std::make_shared<data>();
  for (int64_t i = 0; i < c.time; ++i)
    zone->times.push_back(in.be(8));
  std::vector<size_t> indexes;
  for (int64_t i = 0; i < c.time; ++i)
    indexes.push_back(static_cast<size_t>(in.be(1)));
  std::vector<int64_t> type_offsets;
  for (int64_t i = 0; i < c.type; ++i) {
    type_offsets.push_back(in.be(4));
    in.pos += 2; // isdst, abbreviation index
  }
  for (auto k : indexes) {
    if (k >= type_offsets.size())
      return refuse("damaged TZif file (" + path + ")");
    zone->offsets.push_back(type_offsets[k]);
  }
  zone->initial = type_offsets.front();
  in.pos += static_cast<size_t>(c.chars + c.leap * 12 + c.isstd + c.isut);
  // The footer: "\n<POSIX TZ string>\n".
  if (in.has(2) && bytes[in.pos] == '\n') {
    auto end = bytes.find('\n', in.pos + 1);
    if (end != std::string::npos && end > in.pos + 1) {
      posix_rule rule;
      rule_parser p{
        std::string_view{bytes}.substr(in.pos + 1, end - in.pos - 1)};
      if (!p.parse(rule))
        return refuse("unsupported rule in TZif file (" + path + ")");
      zone->rule = rule;
    }
  }
  time_zone result;
  result.name_ = std::string{name};
  result.data_ = std::move(zone);
  return result;
}

int64_t time_zone::offset_at(int64_t utc_s) const {
  if (!data_)
    return fixed_offset_;
  auto& z = *data_;
  if (z.times.empty() || utc_s >= z.times.back()) {
    if (z.rule)
      return rule_offset(*z.rule, utc_s);
    return z.times.empty() ? z.initial : z.offsets.back();
  }
  auto i = std::upper_bound(z.times.begin(), z.times.end(), utc_s);
  if (i == z.times.begin())
    return z.initial;
  return z.offsets[static_cast<size_t>(i - z.times.begin() - 1)];
}

int64_t time_zone::to_utc(int64_t local_s) const {
  if (!data_)
    return local_s - fixed_offset_;
  // Transitions are far more than a day apart: the offsets a day before and
  // after are the only candidates.
  auto before = offset_at(local_s - day_s);
  auto after = offset_at(local_s + day_s);
  auto u1 = local_s - before;
  auto u2 = local_s - after;
  auto ok1 = offset_at(u1) == before;
  auto ok2 = offset_at(u2) == after;
  if (ok1 && ok2)
    return std::min(u1, u2);
  if (ok1)
    return u1;
  if (ok2)
    return u2;
  return u1; // skipped: read with the offset before the jump
}

} // namespace caf_cluster::cron
