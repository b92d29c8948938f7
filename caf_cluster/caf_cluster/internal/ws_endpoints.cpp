#include "caf_cluster/internal/ws_endpoints.hpp"

#include <memory>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/foreign_handles.hpp"
#include "caf_cluster/internal/frame_codec.hpp"
#include "caf_cluster/internal/router_actor.hpp"

namespace caf_cluster::internal {

namespace {

// Both actors hold the router weakly: the transport lives in the router's
// configuration, so a strong handle here could make the I/O thread destroy
// the router, and with it the transport that must join that thread.
struct endpoint_state {
  caf::actor_addr router;
  ws_connection_ptr conn;
  std::unique_ptr<foreign_handles> handles;
};

struct ingress_state : endpoint_state {
  static constexpr const char* name = "ws_ingress";
};

struct proxy_state : endpoint_state {
  bool open = false;
  std::vector<caf::response_promise> waiting;
  static constexpr const char* name = "ws_proxy";
};

// Sends `msg` to the router with `self` as its sender, as `send` would for a
// message whose type is only known at run time.
void to_router(caf::local_actor* self, const caf::actor_addr& router,
               caf::message msg) {
  if (auto dest = caf::actor_cast<caf::strong_actor_ptr>(router))
    dest->enqueue(caf::make_mailbox_element(caf::strong_actor_ptr{self->ctrl()},
                                            caf::make_message_id(), {},
                                            std::move(msg)),
                  self->context());
}

bool from_router(caf::local_actor* self, const caf::actor_addr& router) {
  return caf::actor_cast<caf::actor_addr>(self->current_sender()) == router;
}

// Serializes `msg` onto the connection; a message that cannot be serialized
// (an unregistered payload type) breaks the connection rather than being
// lost silently: the router's jobs then retry and report it.
template <class State>
void write(caf::stateful_actor<State>* self, const caf::message& msg) {
  auto frame = encode_frame(self->system(), msg);
  if (!frame) {
    self->state.conn->close();
    self->quit(std::move(frame.error()));
    return;
  }
  self->state.conn->write(std::move(*frame));
}

template <class State>
void init(caf::stateful_actor<State>* self, const caf::actor& router) {
  self->state.router = router.address();
  self->state.handles = std::make_unique<foreign_handles>(self->system());
  self->monitor(router);
  self->set_down_handler([self](caf::down_msg&) {
    self->quit();
  });
}

caf::behavior ingress_fn(caf::stateful_actor<ingress_state>* self,
                         caf::actor router, ws_connection_ptr conn) {
  init(self, router);
  self->state.conn = conn;
  self->attach_functor([conn] {
    conn->close();
  });
  return {
    [=](ws_frame_atom, std::vector<char>& frame) {
      auto msg = decode_frame(self->system(), frame,
                              self->state.handles->context());
      if (!msg || !is_deliver_batch(*msg)) {
        self->state.conn->close();
        self->quit(
          msg ? caf::make_error(errc::malformed_message, "not a batch of sends")
              : std::move(msg.error()));
        return;
      }
      to_router(self, self->state.router, std::move(*msg));
    },
    [=](ws_closed_atom, std::string&) {
      self->quit();
    },
    [=](reply_batch_atom atm, std::vector<reply_envelope>& xs) {
      if (from_router(self, self->state.router))
        write(self, caf::make_message(atm, std::move(xs)));
    },
  };
}

caf::behavior proxy_fn(caf::stateful_actor<proxy_state>* self,
                       caf::actor router, ws_io* io, std::string host,
                       uint16_t port) {
  init(self, router);
  auto conn = io->connect(host, port, caf::actor_cast<caf::actor>(self));
  self->state.conn = conn;
  self->attach_functor([conn] {
    conn->close();
  });
  return {
    [=](caf::connect_atom) {
      auto rp = self->make_response_promise();
      if (self->state.open)
        rp.deliver(caf::actor_cast<caf::actor>(self));
      else
        self->state.waiting.push_back(std::move(rp));
    },
    [=](ws_open_atom) {
      self->state.open = true;
      for (auto& rp : self->state.waiting)
        rp.deliver(caf::actor_cast<caf::actor>(self));
      self->state.waiting.clear();
    },
    [=](ws_closed_atom, std::string& why) {
      auto err = caf::make_error(errc::runner_unavailable, why);
      for (auto& rp : self->state.waiting)
        rp.deliver(err);
      self->state.waiting.clear();
      self->quit(std::move(err));
    },
    [=](deliver_batch_atom atm, std::vector<envelope>& xs) {
      if (from_router(self, self->state.router))
        write(self, caf::make_message(atm, std::move(xs)));
    },
    [=](ws_frame_atom, std::vector<char>& frame) {
      auto msg = decode_frame(self->system(), frame,
                              self->state.handles->context());
      if (!msg || !is_reply_batch(*msg)) {
        self->state.conn->close();
        self->quit(msg ? caf::make_error(errc::malformed_message,
                                         "not a batch of replies")
                       : std::move(msg.error()));
        return;
      }
      to_router(self, self->state.router, std::move(*msg));
    },
  };
}

} // namespace

caf::actor spawn_ws_ingress(caf::actor_system& sys, const caf::actor& router,
                            ws_connection_ptr conn) {
  return sys.spawn(ingress_fn, router, std::move(conn));
}

caf::actor spawn_ws_proxy(caf::actor_system& sys, const caf::actor& router,
                          ws_io& io, const std::string& host, uint16_t port) {
  return sys.spawn(proxy_fn, router, &io, host, port);
}

} // namespace caf_cluster::internal
