// The last failure of runner storage this node saw, shared so that errors
// which are only its consequence (no runner serves a shard once every lease
// was lost to a full disk) can still name the cause.
#pragma once

#include <mutex>
#include <string>

namespace caf_cluster::internal {

/// Whether this node's runner storage calls fail now, and why; written by the
/// shard manager, read by the router (thread-safe).
class storage_health {
public:
  /// Records that storage calls fail with the rendered error `why`.
  void failing(std::string why) {
    std::lock_guard<std::mutex> guard{mtx_};
    why_ = std::move(why);
  }

  /// Records that storage calls work again.
  void working() {
    std::lock_guard<std::mutex> guard{mtx_};
    why_.clear();
  }

  /// Returns the last failure, or an empty string while storage works.
  std::string failure() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return why_;
  }

private:
  mutable std::mutex mtx_;
  std::string why_;
};

} // namespace caf_cluster::internal
