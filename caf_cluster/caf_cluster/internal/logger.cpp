#include "caf_cluster/internal/logger.hpp"

#include "caf/actor_system.hpp"

namespace caf_cluster::internal {

logger::logger(caf::actor_system& sys, log_level level, log_sink sink,
               std::shared_ptr<wall_clock> clock)
  : sys_(sys),
    level_(sink ? level : log_level::off),
    sink_(std::move(sink)),
    clock_(std::move(clock)) {
  // nop
}

void logger::runner(std::string address) {
  std::lock_guard<std::mutex> guard{mtx_};
  runner_ = std::move(address);
}

void logger::append(std::string& out, const caf::error& x) const {
  out += sys_.render(x);
}

void logger::write(log_level x, const char* component,
                   std::string text) const {
  log_record rec;
  rec.time_ms = clock_->now_ms();
  rec.level = x;
  rec.component = component;
  rec.text = std::move(text);
  std::lock_guard<std::mutex> guard{mtx_};
  rec.runner = runner_;
  sink_(rec);
}

} // namespace caf_cluster::internal
