#include "caf_cluster/entity_context.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/runtime.hpp"
#include "caf_cluster/sharding.hpp"

namespace caf_cluster {

entity_context::entity_context(
  entity_address address, std::weak_ptr<internal::runtime> state,
  std::shared_ptr<const std::atomic<int64_t>> epoch)
  : address_(std::move(address)), state_(std::move(state)),
    epoch_(std::move(epoch)) {
  // nop
}

caf::expected<storage::fence> entity_context::fence() const {
  if (!epoch_)
    return caf::make_error(errc::invalid_argument,
                           std::string{"this entity context has no fence: "
                                       "only the entity manager's do"});
  return storage::fence{to_string(address_.shard), epoch_->load()};
}

std::optional<sharding> entity_context::cluster() const {
  if (auto st = state_.lock())
    return sharding{std::move(st)};
  return std::nullopt;
}

snowflake entity_context::next_snowflake() const {
  if (auto st = state_.lock())
    return st->node->snowflakes->next();
  return snowflake{};
}

int64_t entity_context::now_ms() const {
  if (auto st = state_.lock())
    return st->node->clock->now_ms();
  return 0;
}

} // namespace caf_cluster
