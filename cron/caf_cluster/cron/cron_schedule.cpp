#include "caf_cluster/cron/cron_schedule.hpp"

#include <chrono>

#include "caf_cluster/cron/civil_time.hpp"
#include "caf_cluster/errc.hpp"

namespace caf_cluster::cron {

cron_schedule::cron_schedule(cron_expression expr) : rule_(std::move(expr)) {
  // nop
}

cron_schedule::cron_schedule(int64_t interval_ms) : rule_(interval_ms) {
  // nop
}

caf::expected<cron_schedule> cron_schedule::parse(std::string_view text) {
  auto expr = cron_expression::parse(text);
  if (!expr)
    return std::move(expr.error());
  return cron_schedule{std::move(*expr)};
}

caf::expected<cron_schedule> cron_schedule::parse(std::string_view text,
                                                  time_zone zone) {
  auto expr = cron_expression::parse(text, std::move(zone));
  if (!expr)
    return std::move(expr.error());
  return cron_schedule{std::move(*expr)};
}

caf::expected<cron_schedule> cron_schedule::every(caf::timespan interval) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval);
  if (ms.count() < 1 || ms != interval)
    return caf::make_error(errc::invalid_argument,
                           "cron interval must be a whole number of "
                           "milliseconds of at least 1, got "
                             + std::to_string(interval.count()) + "ns");
  return cron_schedule{static_cast<int64_t>(ms.count())};
}

std::optional<int64_t> cron_schedule::next_ms(int64_t after_ms) const {
  if (auto* expr = std::get_if<cron_expression>(&rule_))
    return expr->next_ms(after_ms);
  auto step = std::get<int64_t>(rule_);
  return (floor_div(after_ms, step) + 1) * step;
}

std::string cron_schedule::text() const {
  if (auto* expr = std::get_if<cron_expression>(&rule_))
    return expr->text();
  return "every " + std::to_string(std::get<int64_t>(rule_)) + "ms";
}

} // namespace caf_cluster::cron
