#include "caf_cluster/detail/send.hpp"

#include "caf_cluster/detail/send_path.hpp"

#include <cstdio>

namespace caf_cluster::detail {

std::string delivery::default_key() const {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%lld.%016llx",
                static_cast<long long>(request_id),
                static_cast<unsigned long long>(origin));
  return buf;
}

send_path::~send_path() {
  // nop
}

} // namespace caf_cluster::detail
