// A set of request ids whose size a metrics gauge mirrors: the entity
// manager's persisted requests in flight, published as the type's persisted
// backlog without a round trip to the manager.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <unordered_set>

namespace caf_cluster::internal {

/// The subset of `std::unordered_set<int64_t>` the manager uses, keeping
/// `*gauge` (if attached) equal to its size; one writer, relaxed stores.
class counted_ids {
public:
  counted_ids() = default;

  counted_ids(const counted_ids&) = delete;

  counted_ids& operator=(const counted_ids&) = delete;

  /// Drops the ids from the gauge: a manager that dies holds nothing.
  ~counted_ids() {
    if (gauge_)
      gauge_->store(0, std::memory_order_relaxed);
  }

  /// Mirrors the size into `gauge` from now on.
  void attach(std::atomic<int64_t>* gauge) noexcept {
    gauge_ = gauge;
    publish();
  }

  /// Adds `id`; returns whether it was new.
  bool insert(int64_t id) {
    auto added = ids_.insert(id).second;
    publish();
    return added;
  }

  /// Removes `id`; returns how many were removed (0 or 1).
  size_t erase(int64_t id) {
    auto n = ids_.erase(id);
    publish();
    return n;
  }

  /// Returns 1 if `id` is in the set, else 0.
  size_t count(int64_t id) const {
    return ids_.count(id);
  }

  /// Removes every id.
  void clear() {
    ids_.clear();
    publish();
  }

private:
  void publish() noexcept {
    if (gauge_)
      gauge_->store(static_cast<int64_t>(ids_.size()),
                    std::memory_order_relaxed);
  }

  std::unordered_set<int64_t> ids_;
  std::atomic<int64_t>* gauge_ = nullptr;
};

} // namespace caf_cluster::internal
