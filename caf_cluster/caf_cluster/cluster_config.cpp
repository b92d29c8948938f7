#include "caf_cluster/cluster_config.hpp"

#include "caf/atom.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster {

cluster_config::cluster_config() {
  declare_options(*this);
  // Qualified: the inherited member add_error_category hides the free ones.
  caf_cluster::add_error_category(*this);
  caf_cluster::storage::add_error_category(*this);
  // Set as content rather than hard-wired, so INI files and flags still win.
  set("scheduler.policy", caf::atom("sharing"));
  set("middleman.workers", 0);
}

caf::expected<sharding_config> cluster_config::sharding() const {
  return read_sharding_config(*this);
}

} // namespace caf_cluster
