#include "caf_cluster/wall_clock.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace caf_cluster {

wall_clock::~wall_clock() = default;

int64_t system_wall_clock::now_ms() const noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

void system_wall_clock::wait_until_ms(int64_t t) {
  for (auto now = now_ms(); now < t; now = now_ms()) {
    const auto remaining = t - now;
    // A sleep below a millisecond overshoots by tens of microseconds, which
    // matters to callers waiting for the next millisecond; yield instead.
    if (remaining <= 1)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min<int64_t>(remaining - 1, 10)));
  }
}

manual_wall_clock::manual_wall_clock(int64_t start_ms) noexcept
  : now_(start_ms) {
  // nop
}

int64_t manual_wall_clock::now_ms() const noexcept {
  return now_.load();
}

void manual_wall_clock::wait_until_ms(int64_t t) {
  auto now = now_.load();
  // A concurrent set_ms may move the clock between load and store; the CAS
  // loop only ever moves it forward from what it currently reads.
  while (now < t && !now_.compare_exchange_weak(now, t)) {
    // nop
  }
}

void manual_wall_clock::set_ms(int64_t t) noexcept {
  now_.store(t);
}

void manual_wall_clock::advance_ms(int64_t delta) noexcept {
  now_.fetch_add(delta);
}

std::shared_ptr<wall_clock> make_system_wall_clock() {
  return std::make_shared<system_wall_clock>();
}

} // namespace caf_cluster
