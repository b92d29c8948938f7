// Time reaches caf-cluster only through this interface, so tests can drive it
// with a manual clock (deterministic ids, leases, timeouts) while production
// uses the system clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "caf/timespan.hpp"

namespace caf_cluster {

/// Returns `x` in whole milliseconds, the unit of `wall_clock` (leases,
/// deadlines and storage times are compared in it).
inline int64_t to_ms(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
}

/// A source of wall-clock time in milliseconds since the Unix epoch.
class wall_clock {
public:
  /// Destroys the clock; implementations are owned through `shared_ptr`.
  virtual ~wall_clock();

  /// Returns the milliseconds since the Unix epoch.
  virtual int64_t now_ms() const noexcept = 0;

  /// Blocks until `now_ms() >= t`; a manual clock jumps there instead.
  virtual void wait_until_ms(int64_t t) = 0;
};

/// Reads `std::chrono::system_clock`, which may step back (NTP, an operator).
class system_wall_clock final : public wall_clock {
public:
  /// Returns the system clock's milliseconds since the Unix epoch.
  int64_t now_ms() const noexcept override;

  /// Sleeps in steps of at most 10 ms (yielding for the last millisecond) so
  /// that a clock step during the wait is noticed soon.
  void wait_until_ms(int64_t t) override;
};

/// A clock that moves only when told to; thread-safe.
class manual_wall_clock final : public wall_clock {
public:
  /// Starts the clock at `start_ms` since the Unix epoch.
  explicit manual_wall_clock(int64_t start_ms) noexcept;

  /// Returns the time last set.
  int64_t now_ms() const noexcept override;

  /// Sets the time to `t` if it is behind `t`; never moves it back.
  void wait_until_ms(int64_t t) override;

  /// Sets the time to `t`, which may be in the past (a clock step back).
  void set_ms(int64_t t) noexcept;

  /// Moves the time by `delta` milliseconds (negative steps back).
  void advance_ms(int64_t delta) noexcept;

private:
  std::atomic<int64_t> now_;
};

/// Returns a `system_wall_clock`.
std::shared_ptr<wall_clock> make_system_wall_clock();

} // namespace caf_cluster
