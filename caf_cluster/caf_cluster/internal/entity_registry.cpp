#include "caf_cluster/internal/entity_registry.hpp"

#include <mutex>

#include "caf_cluster/errc.hpp"

namespace caf_cluster::internal {

caf::error entity_registry::add(const std::string& name, registered_type x) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (closed_)
    return caf::make_error(errc::shutting_down, name);
  if (types_.count(name) > 0)
    return caf::make_error(errc::invalid_argument,
                           "entity type '" + name + "' is already registered");
  types_.emplace(name, std::move(x));
  return caf::none;
}

std::vector<shard_participant_actor> entity_registry::participants() const {
  std::vector<shard_participant_actor> result;
  for_each([&](const std::string&, const registered_type& x) {
    result.push_back(x.participant);
  });
  return result;
}

bool entity_registry::close() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (closed_)
    return false;
  closed_ = true;
  return true;
}

bool entity_registry::closed() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return closed_;
}

} // namespace caf_cluster::internal
