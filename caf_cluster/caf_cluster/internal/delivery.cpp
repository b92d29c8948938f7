#include "caf_cluster/internal/delivery.hpp"

#include <cstdio>

namespace caf_cluster::internal {

std::string delivery::default_key() const {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%lld.%016llx",
                static_cast<long long>(request_id),
                static_cast<unsigned long long>(origin));
  return buf;
}

} // namespace caf_cluster::internal
