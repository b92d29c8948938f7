// Child processes for the multi-process tests: spawn a program with its
// stdout and stderr on pipes, wait for a line with a deadline, signal it by
// pid, reap it with a bounded wait. A process_group kills (SIGKILL) and reaps
// every process it started when it goes out of scope, also when a CHECK or
// REQUIRE failed half-way, so no test leaves runners behind.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace caf_cluster::multiprocess {

using clock_type = std::chrono::steady_clock;

using namespace std::chrono_literals;

/// Seconds between two time points, for messages.
double seconds_between(clock_type::time_point from, clock_type::time_point to);

/// How a child ended.
struct exit_status {
  /// The exit code when it exited normally.
  std::optional<int> code;
  /// The signal that ended it otherwise.
  std::optional<int> signal;

  bool exited_with(int expected) const {
    return code && *code == expected;
  }

  /// "exit 0", "signal 9".
  std::string to_string() const;
};

/// Where and with which environment a child starts.
struct spawn_options {
  /// Working directory of the child; empty: the test's own.
  std::string cwd;
  /// The child's whole environment ("NAME=value" each); nullopt: the test
  /// process's environment.
  std::optional<std::vector<std::string>> env;
};

/// The test process's environment without the variables in `names`.
std::vector<std::string> environment_without(const std::vector<std::string>& names);

/// One child process. Output is collected as it is read; reading happens in
/// `read_line`, `wait` and `drain`, never in the background.
class process {
public:
  process(std::string program, std::vector<std::string> args,
          const spawn_options& opts = {});

  ~process();

  process(const process&) = delete;

  process& operator=(const process&) = delete;

  pid_t pid() const noexcept {
    return pid_;
  }

  /// The command line, for messages.
  const std::string& command_line() const noexcept {
    return command_line_;
  }

  /// Everything read from stdout so far.
  const std::string& out() const noexcept {
    return out_;
  }

  /// Everything read from stderr so far.
  const std::string& err() const noexcept {
    return err_;
  }

  /// Reads until stdout holds a complete first line and returns it (without
  /// the newline); nullopt when the deadline passes or stdout closes first.
  std::optional<std::string> read_line(clock_type::time_point deadline);

  /// Reads whatever the pipes hold now without blocking.
  void drain();

  /// Sends `sig` unless the process was already reaped.
  void signal(int sig);

  /// Reads the pipes until both close and reaps the process, until
  /// `deadline`; returns nullopt when it still runs then.
  std::optional<exit_status> wait(clock_type::time_point deadline);

  /// The status once reaped.
  const std::optional<exit_status>& status() const noexcept {
    return status_;
  }

  /// SIGKILL and reap (bounded); for cleanup.
  void kill_and_reap();

private:
  // Polls both pipes for up to `timeout_ms` and appends what they hold.
  void pump(int timeout_ms);

  bool try_reap();

  std::string command_line_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<exit_status> status_;
};

/// Owns the processes of one test: kills and reaps them all at scope exit.
class process_group {
public:
  process_group() = default;

  ~process_group();

  process_group(const process_group&) = delete;

  process_group& operator=(const process_group&) = delete;

  /// Starts `program` with `args`; throws std::runtime_error when
  /// posix_spawn fails.
  process& spawn(const std::string& program, std::vector<std::string> args,
                 const spawn_options& opts = {});

private:
  std::deque<process> children_;
};

/// The result of `run`.
struct run_result {
  std::optional<exit_status> status; // nullopt: killed at the deadline
  std::string out;
  std::string err;
  double seconds = 0;
};

/// Runs `program` to completion, killing it after `timeout`.
run_result run(const std::string& program, std::vector<std::string> args,
               clock_type::duration timeout, const spawn_options& opts = {});

/// Returns a port of loopback address `host` (127.0.0.1 by default; Linux
/// routes all of 127/8 to lo) that was free a moment ago (bind port 0, read,
/// close); another process may take it before the caller does.
uint16_t pick_free_port(const std::string& host = "127.0.0.1");

/// Returns whether `text` is exactly one line ending in a newline.
bool is_one_line(const std::string& text);

/// A fresh directory under the system's temporary directory, removed with
/// its contents at scope exit.
class temp_dir {
public:
  temp_dir();

  ~temp_dir();

  temp_dir(const temp_dir&) = delete;

  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const noexcept {
    return path_;
  }

  /// `path()/name`.
  std::string file(const std::string& name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

} // namespace caf_cluster::multiprocess
