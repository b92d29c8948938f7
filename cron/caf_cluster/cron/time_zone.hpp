// A time zone for cron expressions: a fixed offset from UTC, or a zone of the
// system's tz database (a TZif file under /usr/share/zoneinfo, with its
// POSIX rule for the years after its last listed transition). It answers the
// two questions cron needs: the offset in effect at an instant, and the
// instant of a local time (which daylight saving may skip or repeat).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "caf/expected.hpp"

namespace caf_cluster::cron {

/// A time zone; cheap to copy (the transitions are shared).
class time_zone {
public:
  /// UTC.
  time_zone();

  /// A fixed offset from UTC (east positive), named like `+05:30`.
  static time_zone fixed(std::chrono::minutes offset);

  /// Loads zone `name` (e.g. `Europe/Berlin`, `America/New_York`, `UTC`)
  /// from the directory in `TZDIR`, else `/usr/share/zoneinfo`.
  /// @returns the zone, or `errc::invalid_argument` naming the zone for a
  ///          malformed name (empty, absolute, with `..`), a missing file,
  ///          a file that is not TZif version 2 or later, a damaged one, or
  ///          one with leap seconds (the `right/` zones).
  static caf::expected<time_zone> load(std::string_view name);

  /// Returns the zone's name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Returns the offset from UTC (seconds, east positive) in effect at
  /// `utc_s` (seconds since the epoch).
  int64_t offset_at(int64_t utc_s) const;

  /// Returns the instant (seconds since the epoch) of local time
  /// `local_s` (seconds since the epoch of local wall-clock time): its
  /// first occurrence when daylight saving repeats it; for a local time that
  /// daylight saving skips, that time read with the offset before the jump
  /// (02:30 becomes 03:30 when clocks jump from 02:00 to 03:00).
  int64_t to_utc(int64_t local_s) const;

  /// @private The parsed zone.
  struct data;

private:
  std::string name_;
  std::shared_ptr<const data> data_; // null: a fixed offset
  int64_t fixed_offset_ = 0;
};

} // namespace caf_cluster::cron
