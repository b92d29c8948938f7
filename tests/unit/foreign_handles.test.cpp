// Actor handles of other nodes inside the frames of the WebSocket and HTTP
// transports: a workflow client's watcher travels in a send. Decoded without
// a proxy registry, the send's message comes out empty (CAF 0.17 drops the
// error) and the entity refuses it; with the connection's stand-ins the
// handle survives and refuses requests with a clear error.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/forwarding_actor_proxy.hpp"
#include "caf/make_actor.hpp"
#include "caf/node_id.hpp"
#include "caf/scoped_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/foreign_handles.hpp"
#include "caf_cluster/internal/frame_codec.hpp"
#include "caf_cluster/internal/router_actor.hpp"

using namespace caf_cluster;
using namespace caf_cluster::internal;

namespace {

struct foreign_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::node_id other;

  foreign_fixture() {
    add_envelope_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    auto nid = caf::make_node_id(4242,
                                 "0123456789abcdef0123456789abcdef01234567");
    REQUIRE(nid);
    other = *nid;
    REQUIRE(other != sys->node());
  }

  // A send to an entity whose message holds actor 42 of node `other`, as that
  // node's transport writes it.
  std::vector<char> send_with_foreign_handle() {
    caf::actor_config acfg;
    auto handle = caf::make_actor<caf::forwarding_actor_proxy, caf::actor>(
      caf::actor_id{42}, other, sys.get(), acfg, caf::actor{});
    envelope x;
    x.job = 7;
    x.send.entity_type = "workflow/Orders";
    x.send.entity_id = "o-1";
    x.send.shard_group = "default";
    x.send.shard_index = 1;
    x.send.payload = caf::make_message(handle);
    auto frame
      = encode_frame(*sys,
                     caf::make_message(deliver_batch_atom::value,
                                       std::vector<envelope>{std::move(x)}));
    REQUIRE(frame);
    return std::move(*frame);
  }
};

} // namespace

TEST_SUITE("unit.foreign_handles") {

  TEST_CASE_FIXTURE(foreign_fixture,
                    "a handle of another node needs the connection's stand-ins "
                    "to decode") {
    auto frame = send_with_foreign_handle();
    auto bare = decode_frame(*sys, frame);
    REQUIRE(bare);
    REQUIRE(is_deliver_batch(*bare));
    CHECK(bare->get_as<std::vector<envelope>>(1)[0].send.payload.empty());
    foreign_handles handles{*sys};
    auto msg = decode_frame(*sys, frame, handles.context());
    REQUIRE(msg);
    REQUIRE(is_deliver_batch(*msg));
    auto& batch = msg->get_as<std::vector<envelope>>(1);
    REQUIRE(batch.size() == 1);
    REQUIRE(batch[0].send.payload.match_elements<caf::actor>());
    auto handle = batch[0].send.payload.get_as<caf::actor>(0);
    REQUIRE(handle);
    CHECK(handle.node() == other);
    CHECK(handle.id() == 42);
    // The same handle twice in one connection is one stand-in.
    auto again = decode_frame(*sys, frame, handles.context());
    REQUIRE(again);
    CHECK(again->get_as<std::vector<envelope>>(1)[0]
            .send.payload.get_as<caf::actor>(0)
          == handle);
  }

  TEST_CASE_FIXTURE(foreign_fixture,
                    "a request to a stand-in fails at once with unsupported, "
                    "naming the transports; a plain send is dropped") {
    auto frame = send_with_foreign_handle();
    foreign_handles handles{*sys};
    auto msg = decode_frame(*sys, frame, handles.context());
    REQUIRE(msg);
    auto handle = msg->get_as<std::vector<envelope>>(1)[0]
                    .send.payload.get_as<caf::actor>(0);
    caf::scoped_actor self{*sys};
    self->send(handle, std::string{"dropped"});
    caf::error failure;
    self->request(handle, std::chrono::seconds{10}, std::string{"status?"})
      .receive(
        [](const std::string&) {
          FAIL("a stand-in answered");
        },
        [&](caf::error& err) {
          failure = std::move(err);
        });
    CHECK(failure == errc::unsupported);
    auto text = sys->render(failure);
    CHECK_MESSAGE(text.find("websocket or http transport") != std::string::npos,
                  text);
    // Nothing but the error came back: the plain send went nowhere.
    bool more = false;
    self->receive(
      [&](caf::message&) {
        more = true;
      },
      caf::after(std::chrono::milliseconds{0}) >> [] {});
    CHECK_FALSE(more);
  }

} // TEST_SUITE
