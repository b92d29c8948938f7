#include "caf_cluster/storage/internal/message_rules.hpp"

#include <limits>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/error_text.hpp"

namespace caf_cluster::storage::internal {

namespace {

caf::error invalid(std::string msg) {
  return caf::make_error(errc::invalid_argument, std::move(msg));
}

std::string request_name(int64_t request_id) {
  return "request " + std::to_string(request_id);
}

} // namespace

std::string count_of(size_t n, const char* what) {
  return std::to_string(n) + " " + what;
}

int64_t clamp_limit(size_t limit) {
  constexpr auto max_limit = std::numeric_limits<int64_t>::max();
  return limit > static_cast<uint64_t>(max_limit) ? max_limit
                                                  : static_cast<int64_t>(limit);
}

std::optional<std::string> after_prefix(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF)
    prefix.pop_back();
  if (prefix.empty())
    return std::nullopt;
  prefix.back()
    = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

std::string entity_name(const std::string& type, const std::string& id) {
  return printable(type) + "/" + printable(id);
}

caf::error check_requests(const std::vector<request_row>& rows) {
  for (const auto& row : rows) {
    const char* missing = nullptr;
    if (row.entity_type.empty())
      missing = "entity type";
    else if (row.entity_id.empty())
      missing = "entity id";
    else if (row.shard.empty())
      missing = "shard";
    else if (row.primary_key.empty())
      missing = "primary key";
    if (missing != nullptr)
      return invalid(request_name(row.request_id) + " has an empty " + missing);
  }
  return {};
}

caf::error check_claim(int64_t claim_ms) {
  if (claim_ms < 0)
    return invalid("the claim duration must not be negative, got "
                   + std::to_string(claim_ms) + " ms");
  return {};
}

caf::error check_state(const state_row& state, const fence& by) {
  if (state.entity_type.empty() || state.entity_id.empty())
    return invalid("a durable state needs an entity type and an entity id");
  if (by.shard.empty())
    return invalid("a fence needs a shard");
  return {};
}

caf::error check_fence(const fence& by, int64_t current) {
  if (current <= by.epoch)
    return {};
  return caf::make_error(
    errc::fenced,
    "shard " + printable(by.shard) + " has epoch " + std::to_string(current)
      + ", newer than the writer's epoch " + std::to_string(by.epoch));
}

caf::error check_reply(const reply_write& write, int64_t current,
                       const request_row* stored) {
  if (auto err = check_fence(write.by, current))
    return err;
  auto id = write.reply.request_id;
  if (stored == nullptr)
    return invalid("no " + request_name(id) + " is stored");
  if (stored->shard != write.by.shard)
    return invalid(request_name(id) + " belongs to shard "
                   + printable(stored->shard) + ", not "
                   + printable(write.by.shard));
  if (stored->processed)
    return invalid(request_name(id) + " has a reply already");
  if (write.state
      && (write.state->entity_type != stored->entity_type
          || write.state->entity_id != stored->entity_id))
    return invalid(
      "the state of "
      + entity_name(write.state->entity_type, write.state->entity_id)
      + " cannot be stored with the reply to " + request_name(id) + " for "
      + entity_name(stored->entity_type, stored->entity_id));
  return {};
}

caf::error request_id_taken(const request_row& row) {
  return invalid(request_name(row.request_id)
                 + " is stored already for another entity or primary key");
}

} // namespace caf_cluster::storage::internal
