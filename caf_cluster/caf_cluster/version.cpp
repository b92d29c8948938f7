#include "caf_cluster/version.hpp"

namespace caf_cluster {

std::string_view version() noexcept {
  return CAF_CLUSTER_VERSION;
}

} // namespace caf_cluster
