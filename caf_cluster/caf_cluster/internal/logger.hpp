// The runtime's side of the log: a level check before anything is formatted
// (a disabled level costs one branch), the node's clock and address stamped
// on each record, and one sink call at a time.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

#include "caf/fwd.hpp"

#include "caf_cluster/log.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

/// Emits the records of one node at or above its level.
class logger {
public:
  /// Emits records at or above `level` into `sink` (none when it is empty),
  /// timed by `clock`; errors render through `sys`.
  logger(caf::actor_system& sys, log_level level, log_sink sink,
         std::shared_ptr<wall_clock> clock);

  /// Returns whether records of level `x` are emitted.
  bool enabled(log_level x) const noexcept {
    return x >= level_ && x < log_level::off;
  }

  /// Sets the runner address stamped on later records.
  void runner(std::string address);

  /// Emits a record of `component` whose text is `xs` concatenated (strings,
  /// numbers, `caf::error`s), if `x` is enabled.
  template <class... Ts>
  void log(log_level x, const char* component, const Ts&... xs) const {
    if (!enabled(x))
      return;
    std::string text;
    (append(text, xs), ...);
    write(x, component, std::move(text));
  }

  template <class... Ts>
  void debug(const char* component, const Ts&... xs) const {
    log(log_level::debug, component, xs...);
  }

  template <class... Ts>
  void info(const char* component, const Ts&... xs) const {
    log(log_level::info, component, xs...);
  }

  template <class... Ts>
  void warning(const char* component, const Ts&... xs) const {
    log(log_level::warning, component, xs...);
  }

  template <class... Ts>
  void error(const char* component, const Ts&... xs) const {
    log(log_level::error, component, xs...);
  }

private:
  void append(std::string& out, std::string_view x) const {
    out.append(x.data(), x.size());
  }

  void append(std::string& out, const caf::error& x) const;

  template <class T>
  std::enable_if_t<std::is_arithmetic_v<T>> append(std::string& out,
                                                   T x) const {
    out += std::to_string(x);
  }

  void write(log_level x, const char* component, std::string text) const;

  caf::actor_system& sys_;
  const log_level level_;
  const log_sink sink_;
  const std::shared_ptr<wall_clock> clock_;
  mutable std::mutex mtx_; // guards runner_ and serializes sink calls
  std::string runner_;
};

} // namespace caf_cluster::internal
