#include "caf_cluster/transport.hpp"

namespace caf_cluster {

transport::~transport() {
  // nop
}

} // namespace caf_cluster
