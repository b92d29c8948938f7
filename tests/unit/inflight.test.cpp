// The router's decisions about sends in flight at a runner that lost their
// shard: which attempts count as lost, which late replies still answer the
// sender, and the error a volatile send fails with.
#include "caf_cluster/internal/inflight.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "caf/make_message.hpp"

#include "caf_cluster/errc.hpp"

using namespace caf_cluster;
using namespace caf_cluster::internal;

TEST_CASE("an attempt is lost when a peer no longer owns its shard") {
  std::vector<std::string> owners{"10.0.0.1:4000", "10.0.0.2:4000", ""};
  const std::string self = "10.0.0.1:4000";
  CHECK(!lost_shard("10.0.0.2:4000", self, owners, 2));
  CHECK(lost_shard("10.0.0.2:4000", self, owners, 1));
  // No owner at all (no live runner): lost too.
  CHECK(lost_shard("10.0.0.2:4000", self, owners, 3));
  // A shard the map does not cover (a shorter map) is not owned by the peer.
  CHECK(lost_shard("10.0.0.2:4000", self, owners, 4));
  // This runner's own manager answers for itself; no target, no attempt.
  CHECK(!lost_shard(self, self, owners, 2));
  CHECK(!lost_shard("", self, owners, 2));
  CHECK(!lost_shard("10.0.0.2:4000", self, owners, 0));
}

TEST_CASE("only a success of the lost attempt of a persisted send counts "
          "late") {
  inflight_loss loss{"10.0.0.2:4000", 3, {}};
  auto ok = caf::make_message(int64_t{11});
  auto err = caf::make_message(caf::make_error(errc::shutting_down));
  CHECK(late_reply_counts(true, loss, 3, ok));
  CHECK(!late_reply_counts(false, loss, 3, ok));
  CHECK(!late_reply_counts(true, loss, 2, ok));
  CHECK(!late_reply_counts(true, loss, 3, err));
  CHECK(!late_reply_counts(true, inflight_loss{}, 0, ok));
}

TEST_CASE("a volatile send in flight fails naming the runner and the shard") {
  auto err = lost_shard_error("Counter/c7", "127.0.0.1:4001", "default", 17);
  CHECK_EQ(err, errc::runner_unavailable);
  auto& ctx = err.context();
  REQUIRE(ctx.match_elements<std::string, std::string>());
  CHECK_EQ(ctx.get_as<std::string>(0), "Counter/c7");
  CHECK_EQ(ctx.get_as<std::string>(1), "runner 127.0.0.1:4001 lost shard "
                                       "default:17 while the request was in "
                                       "flight");
}
