// What the runtime tells its operator: joins, shard moves, lease trouble,
// failovers, singleton starts and storage errors, as levelled records handed
// to a sink. The sink is a plain function, so an application routes the
// records into its own logging without this library imposing one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace caf_cluster {

/// How much a record matters; a node emits the records at or above its
/// `cluster.log-level`.
enum class log_level : uint8_t {
  /// Step by step detail, for debugging the runtime itself.
  trace,
  /// Routine events that are many (recovery claims of persisted messages).
  debug,
  /// Changes an operator wants to see (joins, shard moves, singletons).
  info,
  /// Trouble the runtime handles (lost leases, failed refreshes).
  warning,
  /// Failures that lose work or availability (storage errors).
  error,
  /// As a level setting: emit nothing.
  off,
};

/// Returns the lower-case name of `x` (`"info"`), as `cluster.log-level`
/// spells it.
const char* to_string(log_level x) noexcept;

/// Parses a level name: `trace`, `debug`, `info`, `warning` (or `warn`),
/// `error` or `off`, in any case.
/// @returns the level, or nothing for an unknown name.
std::optional<log_level> parse_log_level(std::string_view name) noexcept;

/// One line of the log.
struct log_record {
  /// Milliseconds since the Unix epoch, read from the node's `wall_clock`.
  int64_t time_ms = 0;

  /// The record's level.
  log_level level = log_level::info;

  /// The part of the runtime that speaks: `node`, `membership`, `shards`,
  /// `singletons`, `storage`, `recovery` or `cron`.
  std::string component;

  /// The address of the runner that emits the record; empty on a single
  /// process node or a client-only node before it knows one.
  std::string runner;

  /// What happened, one line without a trailing newline.
  std::string text;
};

/// Receives every record at or above the node's level. A node calls it from
/// its actors' threads, one record at a time (calls never overlap).
using log_sink = std::function<void(const log_record&)>;

/// Formats `x` as one line without newline, e.g.
/// `2026-12-05T23:30:01.123Z INFO  [127.0.0.1:7001] membership: runner
/// 127.0.0.1:7002 joined` (UTC time, the level padded to five characters,
/// `[-]` for an empty runner address).
std::string format_log_line(const log_record& x);

/// Returns the default sink: writes `format_log_line` and a newline to
/// stderr, one write per record.
log_sink make_stderr_log_sink();

} // namespace caf_cluster
