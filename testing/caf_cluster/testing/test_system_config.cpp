#include "caf_cluster/testing/test_system_config.hpp"

#include "caf/atom.hpp"

namespace caf_cluster::testing {

test_system_config::test_system_config(const config_hook& configure) {
  set("scheduler.policy", caf::atom("testing"));
  if (configure)
    configure(*this);
}

} // namespace caf_cluster::testing
