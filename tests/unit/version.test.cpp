// The generated version header and the library agree: the string macro is
// the three numbers, and version() returns it.
#include "caf_cluster/version.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_SUITE("caf_cluster.version") {

TEST_CASE("the library's version matches the header's macros") {
  auto from_parts = std::to_string(CAF_CLUSTER_VERSION_MAJOR) + "."
                    + std::to_string(CAF_CLUSTER_VERSION_MINOR) + "."
                    + std::to_string(CAF_CLUSTER_VERSION_PATCH);
  CHECK_EQ(from_parts, CAF_CLUSTER_VERSION);
  CHECK_EQ(caf_cluster::version(), CAF_CLUSTER_VERSION);
}

} // TEST_SUITE
