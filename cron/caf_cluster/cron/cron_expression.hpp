// Cron expressions (pure: no actors, no clock): parsing and the next
// matching instant. The base of cluster cron, where each tick
// becomes a persisted message delivered at the instant `next_ms` computes.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "caf/expected.hpp"

#include "caf_cluster/cron/time_zone.hpp"

namespace caf_cluster::cron {

/// A parsed cron expression: five fields `minute hour day-of-month month
/// day-of-week`, or six with a leading `second` field.
///
/// Each field is `*` or a comma-separated list of items: a number, a range
/// `a-b`, or either with a step (`*/15`, `5-50/10`, `10/20` = 10 to the
/// field's maximum in steps of 20). Months take `JAN`..`DEC`, weekdays
/// `SUN`..`SAT` (any case, also in ranges such as `MON-FRI`); weekday 7 is
/// Sunday like 0. Day-of-month and day-of-week follow Vixie cron exactly:
/// when neither field's text starts with `*`, a day matches if either field
/// matches (`0 0 13 * FRI`: every 13th and every Friday); when one starts
/// with `*`, a day must match both (`0 0 */2 * MON`: Mondays on odd days).
/// Times are UTC unless a fixed offset or a zone of the tz database is given.
/// In a zone with daylight saving, a local time the clocks skip runs at the
/// same distance after the jump (02:30 runs at 03:30 when 02:00 jumps to
/// 03:00), once; a local time they repeat runs at its first occurrence only.
class cron_expression {
public:
  /// Parses `text`, evaluated in UTC.
  /// @returns the expression, or `errc::invalid_argument` with a message that
  ///          names the field and quotes the bad token, e.g.
  ///          `cron expression "0 25 * * *": hour field: bad token "25"
  ///          (allowed 0-23)`.
  static caf::expected<cron_expression> parse(std::string_view text);

  /// Parses `text`, evaluated at `utc_offset` from UTC (east positive, at
  /// most 18 hours either way).
  static caf::expected<cron_expression> parse(std::string_view text,
                                              std::chrono::minutes utc_offset);

  /// Parses `text`, evaluated in `zone` (e.g. `time_zone::load("Europe/Berlin")`).
  static caf::expected<cron_expression> parse(std::string_view text,
                                              time_zone zone);

  /// Returns the first matching instant strictly after `after_ms`
  /// (milliseconds since the Unix epoch): whole minutes for five fields,
  /// whole seconds for six; none if nothing matches within 400 years (e.g.
  /// `0 0 30 2 *`).
  std::optional<int64_t> next_ms(int64_t after_ms) const;

  /// Like `next_ms` on `std::chrono::system_clock` time points.
  std::optional<std::chrono::system_clock::time_point>
  next(std::chrono::system_clock::time_point after) const;

  /// Returns the expression as written.
  const std::string& text() const noexcept {
    return text_;
  }

  /// Returns whether the expression has a seconds field.
  bool has_seconds() const noexcept {
    return has_seconds_;
  }

  /// Returns the fixed offset from UTC it is evaluated at (zero for UTC and
  /// for a zone of the tz database).
  std::chrono::minutes utc_offset() const noexcept {
    return offset_;
  }

  /// Returns the zone it is evaluated in.
  const time_zone& zone() const noexcept {
    return zone_;
  }

private:
  cron_expression() = default;

  bool day_matches(int64_t days, unsigned day, unsigned month) const;

  // The first matching local second strictly after `local_ms`.
  std::optional<int64_t> next_local(int64_t local_ms) const;

  std::string text_;
  bool has_seconds_ = false;
  std::chrono::minutes offset_{0};
  time_zone zone_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;   // 1..31
  std::bitset<13> months_; // 1..12
  std::bitset<7> weekdays_; // 0 = Sunday
  bool days_star_ = false;     // day-of-month text starts with '*'
  bool weekdays_star_ = false; // day-of-week text starts with '*'

};

} // namespace caf_cluster::cron
