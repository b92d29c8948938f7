#include "caf_cluster/storage/memory_message_driver.hpp"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/internal/memory_store.hpp"
#include "caf_cluster/storage/internal/message_rules.hpp"
#include "caf_cluster/storage/internal/retention_rules.hpp"

namespace caf_cluster::storage {

namespace {

using internal::memory_request;

class memory_message_driver : public message_driver {
public:
  explicit memory_message_driver(std::shared_ptr<memory_runner_store> store)
    : store_(std::move(store)) {
    // nop
  }

  caf::expected<std::vector<save_outcome>>
  save_requests(const std::vector<request_row>& rows) override {
    if (auto err = internal::check_requests(rows))
      return err;
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    if (auto* row = reused_id(rows))
      return internal::request_id_taken(*row);
    std::vector<save_outcome> result;
    result.reserve(rows.size());
    for (const auto& row : rows) {
      auto key = key_of(row);
      if (auto i = tbl.keys.find(key); i != tbl.keys.end()) {
        result.push_back(save_outcome{true, i->second, reply_of(i->second)});
        continue;
      }
      memory_request stored{row, row.claimed_at_ms > 0
                                   ? std::optional<int64_t>{row.claimed_at_ms}
                                   : std::nullopt};
      stored.row.processed = false;
      stored.row.claimed_at_ms = 0;
      tbl.requests.emplace(row.request_id, std::move(stored));
      tbl.keys.emplace(std::move(key), row.request_id);
      tbl.unprocessed.insert(row.request_id);
      result.push_back(save_outcome{false, row.request_id, std::nullopt});
    }
    return result;
  }

  caf::expected<std::vector<caf::error>>
  save_replies(const std::vector<reply_write>& writes) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    std::vector<caf::error> result;
    result.reserve(writes.size());
    for (const auto& write : writes) {
      auto id = write.reply.request_id;
      auto i = tbl.requests.find(id);
      auto* stored = i != tbl.requests.end() ? &i->second.row : nullptr;
      if (auto err = internal::check_reply(write, epoch_of(write.by.shard),
                                           stored)) {
        result.push_back(std::move(err));
        continue;
      }
      tbl.replies[id] = write.reply;
      stored->processed = true;
      i->second.processed_at_ms = write.processed_at_ms;
      tbl.unprocessed.erase(id);
      tbl.processed.emplace(write.processed_at_ms, id);
      if (write.state)
        put_state(*write.state);
      result.emplace_back();
    }
    return result;
  }

  caf::expected<std::optional<reply_row>>
  reply_for(int64_t request_id) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    return reply_of(request_id);
  }

  caf::expected<std::vector<request_row>>
  claim_unprocessed(const std::vector<std::string>& shards, int64_t now_ms,
                    int64_t claim_ms, size_t limit) override {
    if (auto err = internal::check_claim(claim_ms))
      return err;
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    std::set<std::string> wanted{shards.begin(), shards.end()};
    std::vector<request_row> result;
    for (auto id : tbl.unprocessed) {
      if (result.size() >= limit)
        break;
      auto& stored = tbl.requests.at(id);
      if (wanted.count(stored.row.shard) == 0
          || !internal::is_claimable(stored.row.deliver_at_ms,
                                     stored.claimed_at_ms, now_ms, claim_ms))
        continue;
      stored.claimed_at_ms = now_ms;
      result.push_back(stored.row);
      result.back().claimed_at_ms = now_ms;
    }
    return result;
  }

  caf::expected<std::vector<request_row>>
  unprocessed_for_entity(const std::string& entity_type,
                         const std::string& entity_id, int64_t now_ms,
                         size_t limit) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    std::vector<request_row> result;
    for (auto id : tbl.unprocessed) {
      if (result.size() >= limit)
        break;
      auto& stored = tbl.requests.at(id);
      if (stored.row.entity_id != entity_id
          || stored.row.entity_type != entity_type
          || stored.row.deliver_at_ms > now_ms)
        continue;
      result.push_back(stored.row);
      result.back().claimed_at_ms = stored.claimed_at_ms.value_or(0);
    }
    return result;
  }

  caf::error reset_claims(const std::vector<std::string>& shards) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    std::set<std::string> wanted{shards.begin(), shards.end()};
    for (auto id : tbl.unprocessed)
      if (auto& stored = tbl.requests.at(id); wanted.count(stored.row.shard))
        stored.claimed_at_ms = std::nullopt;
    return {};
  }

  caf::expected<std::optional<std::string>>
  load_state(const std::string& entity_type,
             const std::string& entity_id) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& states = store_->messages.states;
    if (auto i = states.find({entity_type, entity_id}); i != states.end())
      return std::optional<std::string>{i->second};
    return std::optional<std::string>{};
  }

  caf::error save_state(const state_row& state, const fence& by) override {
    if (auto err = internal::check_state(state, by))
      return err;
    std::lock_guard<std::mutex> guard{store_->mtx};
    if (auto err = internal::check_fence(by, epoch_of(by.shard)))
      return err;
    put_state(state);
    return {};
  }

  caf::expected<std::vector<pending_count>> pending_counts() override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    // Keyed by (shard, type), so the result comes out sorted.
    std::map<std::pair<std::string, std::string>, pending_count> counts;
    for (auto id : tbl.unprocessed) {
      const auto& row = tbl.requests.at(id).row;
      auto [i, added] = counts.try_emplace({row.shard, row.entity_type});
      auto& x = i->second;
      if (added || row.deliver_at_ms < x.next_deliver_at_ms)
        x.next_deliver_at_ms = row.deliver_at_ms;
      ++x.count;
    }
    std::vector<pending_count> result;
    result.reserve(counts.size());
    for (auto& [key, x] : counts) {
      x.shard = key.first;
      x.entity_type = key.second;
      result.push_back(std::move(x));
    }
    return result;
  }

  caf::error transact_state(const fence&, const std::string&,
                            const std::string&, const state_work&) override {
    return caf::make_error(errc::unsupported,
                           std::string{"the memory message storage has no SQL "
                                       "database to run work in"});
  }

  caf::expected<std::vector<state_row>>
  list_states(const std::string& entity_type_prefix, size_t limit) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& states = store_->messages.states;
    std::vector<state_row> result;
    // Keys sort by type first, so the prefix's types are one range.
    for (auto i = states.lower_bound({entity_type_prefix, std::string{}});
         i != states.end() && result.size() < limit; ++i) {
      if (i->first.first.compare(0, entity_type_prefix.size(),
                                 entity_type_prefix)
          != 0)
        break;
      result.push_back(state_row{i->first.first, i->first.second, i->second});
    }
    return result;
  }

  caf::error purge_entity(const std::string& entity_type,
                          const std::string& entity_id) override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    for (auto i = tbl.keys.lower_bound({entity_type, entity_id, std::string{}});
         i != tbl.keys.end() && std::get<0>(i->first) == entity_type
         && std::get<1>(i->first) == entity_id;) {
      auto id = i->second;
      if (auto j = tbl.requests.find(id); j != tbl.requests.end())
        tbl.processed.erase({j->second.processed_at_ms, id});
      tbl.requests.erase(id);
      tbl.unprocessed.erase(id);
      tbl.replies.erase(id);
      i = tbl.keys.erase(i);
    }
    tbl.states.erase({entity_type, entity_id});
    return {};
  }

  caf::expected<size_t>
  expire_processed(int64_t now_ms, int64_t default_retention_ms,
                   const std::vector<retention_rule>& rules,
                   size_t limit) override {
    if (auto err = internal::check_expire(limit))
      return err;
    internal::retention_table retention{now_ms, default_retention_ms, rules};
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    std::vector<int64_t> stamp;
    std::vector<int64_t> drop;
    for (auto [at, id] : tbl.processed) {
      if (stamp.size() + drop.size() >= limit || at > retention.horizon())
        break;
      if (at == 0)
        stamp.push_back(id);
      else if (retention.is_due(tbl.requests.at(id).row.entity_type, at))
        drop.push_back(id);
    }
    // Stamped rows move behind the ones read above: not deleted in this
    // call even with a retention of 0, as in the SQL backends.
    for (auto id : stamp) {
      tbl.processed.erase({0, id});
      tbl.processed.emplace(now_ms, id);
      tbl.requests.at(id).processed_at_ms = now_ms;
    }
    for (auto id : drop) {
      auto i = tbl.requests.find(id);
      tbl.processed.erase({i->second.processed_at_ms, id});
      tbl.keys.erase(key_of(i->second.row));
      tbl.replies.erase(id);
      tbl.requests.erase(i);
    }
    return stamp.size() + drop.size();
  }

  caf::expected<std::vector<table_size>> table_sizes() override {
    std::lock_guard<std::mutex> guard{store_->mtx};
    auto& tbl = store_->messages;
    // The SQL backends' table names, so that tools print one vocabulary.
    auto rows = [](size_t n) { return static_cast<int64_t>(n); };
    return std::vector<table_size>{
      {"cluster_entity_states", rows(tbl.states.size()), -1},
      {"cluster_replies", rows(tbl.replies.size()), -1},
      {"cluster_requests", rows(tbl.requests.size()), -1},
    };
  }

private:
  using key_type = std::tuple<std::string, std::string, std::string>;

  static key_type key_of(const request_row& row) {
    return {row.entity_type, row.entity_id, row.primary_key};
  }

  // The helpers below expect the store's mutex held.

  // Returns the first row of `rows` that is no duplicate but reuses the id of
  // a stored request or of an earlier row with another key. Checked before
  // the first insert, so that a refused batch stores nothing.
  const request_row* reused_id(const std::vector<request_row>& rows) const {
    const auto& tbl = store_->messages;
    std::set<key_type> keys;
    std::set<int64_t> ids;
    for (const auto& row : rows) {
      auto key = key_of(row);
      if (tbl.keys.count(key) > 0 || !keys.insert(std::move(key)).second)
        continue;
      if (tbl.requests.count(row.request_id) > 0
          || !ids.insert(row.request_id).second)
        return &row;
    }
    return nullptr;
  }

  std::optional<reply_row> reply_of(int64_t request_id) const {
    auto& replies = store_->messages.replies;
    if (auto i = replies.find(request_id); i != replies.end())
      return i->second;
    return std::nullopt;
  }

  int64_t epoch_of(const std::string& shard) const {
    auto i = store_->epochs.find(shard);
    return i != store_->epochs.end() ? i->second : int64_t{0};
  }

  void put_state(const state_row& state) {
    store_->messages.states[{state.entity_type, state.entity_id}]
      = state.payload;
  }

  std::shared_ptr<memory_runner_store> store_;
};

} // namespace

std::unique_ptr<message_driver> make_memory_message_driver() {
  return make_memory_message_driver(make_memory_runner_store());
}

std::unique_ptr<message_driver>
make_memory_message_driver(std::shared_ptr<memory_runner_store> store) {
  return std::make_unique<memory_message_driver>(std::move(store));
}

} // namespace caf_cluster::storage
