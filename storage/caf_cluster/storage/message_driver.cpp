#include "caf_cluster/storage/message_driver.hpp"

#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster::storage {

bool operator==(const request_row& x, const request_row& y) noexcept {
  return x.request_id == y.request_id && x.entity_type == y.entity_type
    && x.entity_id == y.entity_id && x.shard == y.shard && x.tag == y.tag
    && x.payload == y.payload && x.headers == y.headers
    && x.primary_key == y.primary_key && x.deliver_at_ms == y.deliver_at_ms
    && x.processed == y.processed && x.claimed_at_ms == y.claimed_at_ms;
}

bool operator!=(const request_row& x, const request_row& y) noexcept {
  return !(x == y);
}

bool operator==(const reply_row& x, const reply_row& y) noexcept {
  return x.request_id == y.request_id && x.ok == y.ok && x.payload == y.payload;
}

bool operator!=(const reply_row& x, const reply_row& y) noexcept {
  return !(x == y);
}

bool operator==(const state_row& x, const state_row& y) noexcept {
  return x.entity_type == y.entity_type && x.entity_id == y.entity_id
    && x.payload == y.payload;
}

bool operator!=(const state_row& x, const state_row& y) noexcept {
  return !(x == y);
}

bool operator==(const save_outcome& x, const save_outcome& y) noexcept {
  return x.duplicate == y.duplicate && x.request_id == y.request_id
    && x.reply == y.reply;
}

bool operator!=(const save_outcome& x, const save_outcome& y) noexcept {
  return !(x == y);
}

bool operator==(const pending_count& x, const pending_count& y) noexcept {
  return x.shard == y.shard && x.entity_type == y.entity_type
    && x.count == y.count && x.next_deliver_at_ms == y.next_deliver_at_ms;
}

bool operator!=(const pending_count& x, const pending_count& y) noexcept {
  return !(x == y);
}

bool operator==(const retention_rule& x, const retention_rule& y) noexcept {
  return x.entity_type == y.entity_type && x.retention_ms == y.retention_ms;
}

bool operator!=(const retention_rule& x, const retention_rule& y) noexcept {
  return !(x == y);
}

bool operator==(const table_size& x, const table_size& y) noexcept {
  return x.table == y.table && x.rows == y.rows && x.bytes == y.bytes;
}

bool operator!=(const table_size& x, const table_size& y) noexcept {
  return !(x == y);
}

message_driver::~message_driver() = default;

batch_outcome message_driver::save_batch(const std::vector<request_row>& rows,
                                         const std::vector<reply_write>& writes) {
  batch_outcome result;
  if (!rows.empty())
    result.requests = save_requests(rows);
  if (!writes.empty())
    result.replies = save_replies(writes);
  return result;
}

caf::error message_driver::transact_state(const fence&, const std::string&,
                                          const std::string&,
                                          const state_work&) {
  return caf::make_error(errc::unsupported,
                         std::string{"this message storage backend cannot run "
                                     "work in a SQL transaction"});
}

caf::expected<size_t> message_driver::expire_processed(
  int64_t, int64_t, const std::vector<retention_rule>&, size_t) {
  return caf::make_error(errc::unsupported,
                         std::string{"this message storage backend cannot "
                                     "expire processed requests"});
}

caf::expected<std::vector<table_size>> message_driver::table_sizes() {
  return caf::make_error(errc::unsupported,
                         std::string{"this message storage backend cannot "
                                     "report its table sizes"});
}

} // namespace caf_cluster::storage
