// When a cluster cron job runs: a cron expression or a fixed interval. Both
// name their instants the same way on every runner (an interval is aligned to
// the Unix epoch), which is what lets a tick be stored once, keyed by its time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "caf/expected.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/cron/cron_expression.hpp"

namespace caf_cluster::cron {

/// A cron expression or a fixed interval.
class cron_schedule {
public:
  /// Runs at the instants of `expr`.
  cron_schedule(cron_expression expr); // NOLINT: implicit on purpose

  /// Parses a cron expression evaluated in UTC (see `cron_expression`).
  static caf::expected<cron_schedule> parse(std::string_view text);

  /// Parses a cron expression evaluated in `zone`, e.g. 2:30 every night in
  /// Berlin: `parse("30 2 * * *", berlin)` with `berlin` from
  /// `time_zone::load("Europe/Berlin")`.
  static caf::expected<cron_schedule> parse(std::string_view text,
                                            time_zone zone);

  /// Runs every `interval` at the multiples of it since the Unix epoch
  /// (every 10 s: at :00, :10, :20, ...; every 90 min: at 00:00, 01:30, ...
  /// UTC). Fails with `errc::invalid_argument` unless `interval` is a whole
  /// number of milliseconds of at least one.
  static caf::expected<cron_schedule> every(caf::timespan interval);

  /// Returns the first instant strictly after `after_ms` (milliseconds since
  /// the epoch), or none (an expression that never matches).
  std::optional<int64_t> next_ms(int64_t after_ms) const;

  /// Returns the expression as written, or `every <n>ms`.
  std::string text() const;

private:
  explicit cron_schedule(int64_t interval_ms);

  std::variant<cron_expression, int64_t> rule_;
};

} // namespace caf_cluster::cron
