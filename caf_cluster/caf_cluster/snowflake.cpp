#include "caf_cluster/snowflake.hpp"

namespace caf_cluster {

std::string to_string(snowflake x) {
  return std::to_string(x.value());
}

} // namespace caf_cluster
