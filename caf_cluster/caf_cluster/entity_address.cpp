#include "caf_cluster/entity_address.hpp"

namespace caf_cluster {

std::string to_string(const entity_address& x) {
  std::string result = x.entity_type;
  result += '/';
  result += x.entity_id;
  result += '@';
  result += to_string(x.shard);
  return result;
}

} // namespace caf_cluster
