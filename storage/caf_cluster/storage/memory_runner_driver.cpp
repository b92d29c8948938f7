#include "caf_cluster/storage/memory_runner_driver.hpp"

#include <mutex>
#include <optional>

#include "caf_cluster/storage/internal/memory_store.hpp"
#include "caf_cluster/storage/internal/runner_rules.hpp"

namespace caf_cluster::storage {

namespace {

using internal::acquire_action;

class memory_runner_driver : public runner_driver {
public:
  explicit memory_runner_driver(std::shared_ptr<memory_runner_store> store)
    : store_(std::move(store)) {
    // nop
  }

  caf::expected<int32_t> register_runner(const runner_row& runner,
                                         int32_t shards_per_group,
                                         int64_t now_ms,
                                         int64_t lease_ms) override {
    if (auto err = internal::check_registration(runner, shards_per_group,
                                                lease_ms))
      return err;
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& st = *store_;
    if (st.shards_per_group && *st.shards_per_group != shards_per_group)
      return internal::shards_per_group_mismatch(*st.shards_per_group,
                                                 shards_per_group);
    std::optional<int32_t> previous;
    std::vector<int32_t> taken;
    for (const auto& [address, row] : st.runners) {
      if (address == runner.address)
        previous = row.machine_id;
      else if (internal::is_live(row.last_heartbeat_ms, now_ms, lease_ms,
                                    max_clock_skew()))
        taken.push_back(row.machine_id);
    }
    auto id = internal::pick_machine_id(previous, taken);
    if (!id)
      return id.error();
    for (auto i = st.runners.begin(); i != st.runners.end();) {
      if (i->first != runner.address && i->second.machine_id == *id)
        i = st.runners.erase(i);
      else
        ++i;
    }
    st.shards_per_group = shards_per_group;
    auto& row = st.runners[runner.address];
    row = runner;
    row.machine_id = *id;
    row.last_heartbeat_ms = now_ms;
    row.drain_requested = false;
    return *id;
  }

  caf::error unregister_runner(const std::string& address) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    store_->runners.erase(address);
    return {};
  }

  caf::expected<std::vector<runner_row>>
  live_runners(int64_t now_ms, int64_t lease_ms) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    std::vector<runner_row> result;
    for (const auto& entry : store_->runners)
      if (internal::is_live(entry.second.last_heartbeat_ms, now_ms, lease_ms,
                            max_clock_skew()))
        result.push_back(entry.second);
    return result;
  }

  caf::expected<std::vector<runner_row>> all_runners() override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    std::vector<runner_row> result;
    for (const auto& entry : store_->runners)
      result.push_back(entry.second);
    return result;
  }

  caf::error set_health(const std::string& address, bool healthy) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    if (auto i = store_->runners.find(address); i != store_->runners.end())
      i->second.healthy = healthy;
    return {};
  }

  caf::error request_drain(const std::string& address) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto i = store_->runners.find(address);
    if (i == store_->runners.end())
      return internal::unknown_runner(address);
    i->second.drain_requested = true;
    return {};
  }

  caf::error forget_runner(const std::string& address, int64_t now_ms,
                           int64_t lease_ms) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& st = *store_;
    auto i = st.runners.find(address);
    if (auto err = internal::check_forget(i != st.runners.end() ? &i->second
                                                                : nullptr,
                                          address, now_ms, lease_ms,
                                          max_clock_skew()))
      return err;
    st.runners.erase(i);
    for (auto j = st.leases.begin(); j != st.leases.end();) {
      if (j->second.runner == address)
        j = st.leases.erase(j);
      else
        ++j;
    }
    return {};
  }

  caf::expected<std::vector<lease_grant>>
  acquire(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms) override {
    if (auto err = internal::check_lease_request(runner, lease_ms))
      return err;
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& st = *store_;
    std::vector<lease_grant> result;
    for (auto& shard : internal::without_duplicates(shards)) {
      auto i = st.leases.find(shard);
      auto* current = i != st.leases.end() ? &i->second : nullptr;
      switch (internal::decide_acquire(current, runner, now_ms, lease_ms,
                                       max_clock_skew())) {
        case acquire_action::refuse:
          break;
        case acquire_action::extend:
          current->expires_at_ms = now_ms + lease_ms;
          result.push_back(lease_grant{shard, current->epoch});
          break;
        case acquire_action::grant: {
          auto epoch = ++st.epochs[shard];
          st.leases[shard] = lease_row{shard, runner, epoch, now_ms + lease_ms};
          result.push_back(lease_grant{std::move(shard), epoch});
          break;
        }
      }
    }
    return result;
  }

  caf::expected<std::vector<lease_grant>>
  refresh(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms) override {
    if (auto err = internal::check_lease_request(runner, lease_ms))
      return err;
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& st = *store_;
    if (auto i = st.runners.find(runner); i != st.runners.end())
      i->second.last_heartbeat_ms = now_ms;
    std::vector<lease_grant> result;
    for (auto& shard : internal::without_duplicates(shards)) {
      auto i = st.leases.find(shard);
      if (i == st.leases.end() || i->second.runner != runner
          || !internal::is_held(i->second.expires_at_ms, now_ms, lease_ms,
                               max_clock_skew()))
        continue;
      i->second.expires_at_ms = now_ms + lease_ms;
      result.push_back(lease_grant{std::move(shard), i->second.epoch});
    }
    return result;
  }

  caf::error release(const std::string& runner,
                     const std::vector<std::string>& shards) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    for (const auto& shard : shards)
      if (auto i = store_->leases.find(shard);
          i != store_->leases.end() && i->second.runner == runner)
        store_->leases.erase(i);
    return {};
  }

  caf::error release_all(const std::string& runner) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& leases = store_->leases;
    for (auto i = leases.begin(); i != leases.end();) {
      if (i->second.runner == runner)
        i = leases.erase(i);
      else
        ++i;
    }
    return {};
  }

  caf::expected<std::vector<lease_row>> leases() override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    std::vector<lease_row> result;
    for (const auto& entry : store_->leases)
      result.push_back(entry.second);
    return result;
  }

  caf::expected<int64_t> current_epoch(const std::string& shard) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto i = store_->epochs.find(shard);
    return i != store_->epochs.end() ? i->second : int64_t{0};
  }

private:
  std::shared_ptr<memory_runner_store> store_;
};

} // namespace

std::shared_ptr<memory_runner_store> make_memory_runner_store() {
  return std::make_shared<memory_runner_store>();
}

std::unique_ptr<runner_driver> make_memory_runner_driver() {
  return make_memory_runner_driver(make_memory_runner_store());
}

std::unique_ptr<runner_driver>
make_memory_runner_driver(std::shared_ptr<memory_runner_store> store) {
  return std::make_unique<memory_runner_driver>(std::move(store));
}

} // namespace caf_cluster::storage
