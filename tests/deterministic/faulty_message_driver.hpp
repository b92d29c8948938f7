// A message storage decorator for fault injection: while `cut` is set, every
// call fails as if the database were unreachable (disk full, locked file).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::testing {

class faulty_message_driver final : public storage::message_driver {
public:
  explicit faulty_message_driver(std::shared_ptr<storage::message_driver> inner)
    : inner_(std::move(inner)) {
    // nop
  }

  /// While true, every call fails with `storage::errc::io_error`.
  std::atomic<bool> cut{false};

  /// While true, saving requests fails (replies and reads still work).
  std::atomic<bool> cut_saves{false};

  /// How many reply writes storage refused as fenced.
  std::atomic<int> fenced{0};

  caf::expected<std::vector<storage::save_outcome>>
  save_requests(const std::vector<storage::request_row>& rows) override {
    if (cut || cut_saves)
      return failure();
    return inner_->save_requests(rows);
  }

  caf::expected<std::vector<caf::error>>
  save_replies(const std::vector<storage::reply_write>& writes) override {
    if (cut)
      return failure();
    auto result = inner_->save_replies(writes);
    if (result)
      for (auto& err : *result)
        if (err == storage::errc::fenced)
          ++fenced;
    return result;
  }

  caf::expected<std::optional<storage::reply_row>>
  reply_for(int64_t request_id) override {
    if (cut)
      return failure();
    return inner_->reply_for(request_id);
  }

  caf::expected<std::vector<storage::request_row>>
  claim_unprocessed(const std::vector<std::string>& shards, int64_t now_ms,
                    int64_t claim_ms, size_t limit) override {
    if (cut)
      return failure();
    return inner_->claim_unprocessed(shards, now_ms, claim_ms, limit);
  }

  caf::expected<std::vector<storage::request_row>>
  unprocessed_for_entity(const std::string& type, const std::string& id,
                         int64_t now_ms, size_t limit) override {
    if (cut)
      return failure();
    return inner_->unprocessed_for_entity(type, id, now_ms, limit);
  }

  caf::error reset_claims(const std::vector<std::string>& shards) override {
    return cut ? failure() : inner_->reset_claims(shards);
  }

  caf::expected<std::optional<std::string>>
  load_state(const std::string& type, const std::string& id) override {
    if (cut)
      return failure();
    return inner_->load_state(type, id);
  }

  caf::error save_state(const storage::state_row& state,
                        const storage::fence& by) override {
    return cut ? failure() : inner_->save_state(state, by);
  }

  caf::expected<std::vector<storage::pending_count>> pending_counts() override {
    if (cut)
      return failure();
    return inner_->pending_counts();
  }

  caf::error transact_state(const storage::fence& by, const std::string& type,
                            const std::string& id,
                            const state_work& work) override {
    return cut ? failure() : inner_->transact_state(by, type, id, work);
  }

  caf::expected<std::vector<storage::state_row>>
  list_states(const std::string& prefix, size_t limit) override {
    if (cut)
      return failure();
    return inner_->list_states(prefix, limit);
  }

  caf::error purge_entity(const std::string& type,
                          const std::string& id) override {
    return cut ? failure() : inner_->purge_entity(type, id);
  }

  caf::expected<size_t>
  expire_processed(int64_t now_ms, int64_t default_retention_ms,
                   const std::vector<storage::retention_rule>& rules,
                   size_t limit) override {
    if (cut)
      return failure();
    return inner_->expire_processed(now_ms, default_retention_ms, rules,
                                    limit);
  }

  caf::expected<std::vector<storage::table_size>> table_sizes() override {
    if (cut)
      return failure();
    return inner_->table_sizes();
  }

private:
  static caf::error failure() {
    return caf::make_error(storage::errc::io_error,
                           "message storage unreachable (test fault)");
  }

  std::shared_ptr<storage::message_driver> inner_;
};

} // namespace caf_cluster::testing
