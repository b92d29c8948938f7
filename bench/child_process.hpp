// Child processes of the benchmark, all started and stopped by pid with
// bounded waits. Each measurement runs in a fresh copy of this program: a
// process that ran earlier workloads keeps freed heap in glibc's per-thread
// arenas, which later runs reuse without growing RSS (measured: 1.3 KB per
// bare actor in the first run, 0.6-0.9 KB in later ones), so in-process memory
// figures drift. The remote workloads also start server processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "options.hpp"

namespace bench {

/// Prints `what` after the program name and exits with `code`.
[[noreturn]] void die(const std::string& what, int code = 1);

/// Returns the path of this program.
std::string self_path();

/// Creates a fresh directory `cluster-bench-XXXXXX` in the temp dir and
/// returns its path; exits the program if that fails.
std::string make_temp_dir();

/// A started process and the read end of its stdout.
struct started_process {
  /// Its pid.
  pid_t pid = -1;
  /// The pipe its stdout writes to.
  int out_fd = -1;
};

/// Starts `args[0]` with `args` (stderr inherited, stdout into a pipe);
/// exits the program if that fails.
started_process start_process(const std::vector<std::string>& args);

/// Reads one line from `fd` within `timeout` into `line` (without the
/// newline); returns false on end of file, error or timeout.
bool read_line(int fd, std::chrono::milliseconds timeout, std::string& line);

/// Stops `pid`: SIGTERM, up to `grace` for it to exit, then SIGKILL and up to
/// 5 s more. Returns whether it exited with status 0 after the SIGTERM.
bool stop_process(pid_t pid, std::chrono::milliseconds grace);

/// Makes this process exit when the process `parent` is gone (a server or
/// child of this benchmark must never outlive it): `signal` is sent to it
/// when its parent dies, and it exits at once if that already happened.
void exit_with_parent(long parent, int signal);

/// Re-executes this program with `argv`, `extra` and `--child w:s` and
/// returns the figures the child prints. Exits the program if the child
/// fails or takes longer than 15 minutes (then it is killed).
std::vector<double> run_in_child(workload w, side s, int argc, char** argv,
                                 const std::vector<std::string>& extra = {});

} // namespace bench
