// Calendar arithmetic on the proleptic Gregorian calendar in UTC: days since
// the Unix epoch to a civil date and back, and the ISO-8601 text that names a
// cron tick. Pure functions, valid far beyond the years cron looks at.
#pragma once

#include <cstdint>
#include <string>

namespace caf_cluster::cron {

/// A civil date.
struct civil {
  /// The year (proleptic Gregorian calendar).
  int64_t year;
  /// The month, 1..12.
  unsigned month;
  /// The day of the month, 1..31.
  unsigned day;
};

/// Floor division (rounds towards negative infinity), `y > 0`.
int64_t floor_div(int64_t x, int64_t y);

/// Days since 1970-01-01 of the date `y-m-d`.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/// The date `z` days after 1970-01-01.
civil civil_from_days(int64_t z);

/// Formats `ms` (milliseconds since the epoch) as ISO-8601 UTC:
/// `2026-02-28T23:59:00Z`, with `.mmm` only when the milliseconds are not 0.
std::string format_utc(int64_t ms);

} // namespace caf_cluster::cron
