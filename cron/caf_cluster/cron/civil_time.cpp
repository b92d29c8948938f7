#include "caf_cluster/cron/civil_time.hpp"

#include <cstdio>

namespace caf_cluster::cron {

int64_t floor_div(int64_t x, int64_t y) {
  auto q = x / y;
  return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
}

// Howard Hinnant's algorithms.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  auto era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  auto doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  auto doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

civil civil_from_days(int64_t z) {
  z += 719468;
  auto era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  auto yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  auto y = static_cast<int64_t>(yoe) + era * 400;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  auto d = doy - (153 * mp + 2) / 5 + 1;
  auto m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

std::string format_utc(int64_t ms) {
  auto days = floor_div(ms, 86'400'000);
  auto in_day = ms - days * 86'400'000;
  auto date = civil_from_days(days);
  auto secs = in_day / 1000;
  char buf[48];
  auto n = std::snprintf(buf, sizeof(buf),
                         "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                         static_cast<long long>(date.year), date.month,
                         date.day, static_cast<long long>(secs / 3600),
                         static_cast<long long>(secs / 60 % 60),
                         static_cast<long long>(secs % 60));
  std::string result{buf, static_cast<size_t>(n)};
  if (auto frac = in_day % 1000; frac != 0) {
    std::snprintf(buf, sizeof(buf), ".%03lld", static_cast<long long>(frac));
    result += buf;
  }
  result += 'Z';
  return result;
}

} // namespace caf_cluster::cron
