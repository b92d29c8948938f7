#include "caf_cluster/snowflake_generator.hpp"

#include <algorithm>

namespace caf_cluster {

namespace {

constexpr uint32_t sequence_used_up = uint32_t{snowflake::max_sequence} + 1;

uint16_t reduce_machine_id(uint16_t id) noexcept {
  return static_cast<uint16_t>(id & snowflake::max_machine_id);
}

} // namespace

snowflake_generator::snowflake_generator(std::shared_ptr<wall_clock> clock,
                                         uint16_t machine_id)
  : clock_(std::move(clock)), machine_id_(reduce_machine_id(machine_id)) {
  // nop
}

snowflake snowflake_generator::next() {
  std::lock_guard<std::mutex> guard{mtx_};
  auto since_epoch = [this] {
    return std::max<int64_t>(clock_->now_ms() - snowflake::epoch_unix_ms, 0);
  };
  const auto now = since_epoch();
  if (now > last_ms_) {
    last_ms_ = now;
    next_sequence_ = 0;
  } else if (next_sequence_ == sequence_used_up) {
    if (now == last_ms_) {
      // Waiting while holding the lock is fine: every other caller would
      // need the same next millisecond anyway.
      clock_->wait_until_ms(last_ms_ + 1 + snowflake::epoch_unix_ms);
      last_ms_ = std::max(since_epoch(), last_ms_ + 1);
    } else {
      // The clock stepped back: stalling until it catches up could take
      // hours, so we run ahead of it by one logical millisecond.
      ++last_ms_;
    }
    next_sequence_ = 0;
  }
  return snowflake::make(last_ms_, machine_id_,
                         static_cast<uint16_t>(next_sequence_++));
}

void snowflake_generator::machine_id(uint16_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  const auto reduced = reduce_machine_id(id);
  if (reduced == machine_id_)
    return;
  machine_id_ = reduced;
  // A lower machine id in the same millisecond would give a smaller id.
  if (last_ms_ >= 0)
    next_sequence_ = sequence_used_up;
}

uint16_t snowflake_generator::machine_id() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return machine_id_;
}

} // namespace caf_cluster
