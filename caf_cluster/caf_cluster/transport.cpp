#include "caf_cluster/transport.hpp"

namespace caf_cluster {

transport::~transport() {
  // nop
}

std::string transport::exposure(const runner_address&) const {
  return {};
}

} // namespace caf_cluster
