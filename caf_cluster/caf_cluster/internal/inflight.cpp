#include "caf_cluster/internal/inflight.hpp"

#include "caf/message.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

bool lost_shard(const std::string& target, const std::string& self_address,
                const std::vector<std::string>& owners, int32_t index) {
  if (target.empty() || target == self_address || index < 1)
    return false;
  auto pos = static_cast<size_t>(index - 1);
  return pos >= owners.size() || owners[pos] != target;
}

caf::error lost_shard_error(const std::string& where, const std::string& runner,
                            const std::string& group, int32_t index) {
  return caf::make_error(errc::runner_unavailable, where,
                         "runner " + runner + " lost shard "
                           + to_string(shard_id{group, index})
                           + " while the request was in flight");
}

bool late_reply_counts(bool persisted, const inflight_loss& loss,
                       uint32_t attempt_no, const caf::message& reply) {
  return persisted && loss.known() && loss.attempt == attempt_no
    && !reply.match_elements<caf::error>();
}

} // namespace caf_cluster::internal
