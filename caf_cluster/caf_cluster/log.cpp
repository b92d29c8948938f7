#include "caf_cluster/log.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace caf_cluster {

namespace {

struct level_name {
  std::string_view name;
  log_level level;
};

constexpr level_name level_names[] = {
  {"trace", log_level::trace}, {"debug", log_level::debug},
  {"info", log_level::info},   {"warning", log_level::warning},
  {"warn", log_level::warning}, {"error", log_level::error},
  {"off", log_level::off},
};

// Upper case and padded to one width, so the messages line up.
const char* column(log_level x) noexcept {
  switch (x) {
    case log_level::trace:
      return "TRACE";
    case log_level::debug:
      return "DEBUG";
    case log_level::info:
      return "INFO ";
    case log_level::warning:
      return "WARN ";
    case log_level::error:
      return "ERROR";
    default:
      return "OFF  ";
  }
}

bool same_ignoring_case(std::string_view x, std::string_view y) noexcept {
  if (x.size() != y.size())
    return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(x[i])) != y[i])
      return false;
  return true;
}

} // namespace

const char* to_string(log_level x) noexcept {
  switch (x) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
    default:
      return "off";
  }
}

std::optional<log_level> parse_log_level(std::string_view name) noexcept {
  for (auto& x : level_names)
    if (same_ignoring_case(name, x.name))
      return x.level;
  return std::nullopt;
}

std::string format_log_line(const log_record& x) {
  // Floor division: times before 1970 still print the right second.
  auto secs = x.time_ms / 1000;
  auto ms = x.time_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string result = stamp;
  result += column(x.level);
  result += " [";
  result += x.runner.empty() ? "-" : x.runner;
  result += "] ";
  result += x.component;
  result += ": ";
  result += x.text;
  return result;
}

log_sink make_stderr_log_sink() {
  return [](const log_record& x) {
    auto line = format_log_line(x);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

} // namespace caf_cluster
