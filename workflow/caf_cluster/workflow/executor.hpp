// Where workflow advances run. An advance replays a body and runs its new
// activities, which may block (an activity asking another entity waits for
// a reply that CAF's workers must deliver), so advances run outside CAF's
// scheduler: on a small thread pool by default, inline in deterministic tests.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace caf_cluster::workflow {

/// Runs jobs (advances) somewhere; thread-safe.
class executor {
public:
  virtual ~executor();

  /// Runs `job` once, now or later, on any thread.
  virtual void run(std::function<void()> job) = 0;
};

/// Returns an executor with `threads` threads (at least 1) that run jobs in
/// the order given; its destructor finishes the queued jobs and joins.
std::shared_ptr<executor> make_thread_pool_executor(size_t threads);

/// Returns an executor that runs each job at once on the calling thread
/// (for CAF's deterministic test coordinator).
std::shared_ptr<executor> make_inline_executor();

/// Options of an `engine`.
struct engine_options {
  /// Where advances run; null: the inline executor under CAF's test
  /// coordinator (`scheduler.policy` = `testing`), else a thread pool of
  /// `threads` threads shared by the workflows this engine adds.
  std::shared_ptr<executor> exec;

  /// Threads of the default pool.
  size_t threads = 8;
};

} // namespace caf_cluster::workflow
