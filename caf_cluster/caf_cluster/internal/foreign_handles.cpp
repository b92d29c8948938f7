#include "caf_cluster/internal/foreign_handles.hpp"

#include <string>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/forwarding_actor_proxy.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/make_actor.hpp"
#include "caf/message_id.hpp"
#include "caf/proxy_registry.hpp"
#include "caf/scoped_execution_unit.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::internal {

namespace {

// What every stand-in forwards to: CAF's forwarding proxy wraps each message
// it gets as BASP's broker would receive it.
caf::behavior stand_in_sink(caf::event_based_actor* self) {
  // A new proxy announces itself with ('monitor', proxy), as it would to
  // BASP's broker, which then monitors the remote actor; a stand-in has none.
  self->set_default_handler(caf::drop);
  return {
    [self](caf::forward_atom, caf::strong_actor_ptr& sender,
           std::vector<caf::strong_actor_ptr>&, caf::strong_actor_ptr& receiver,
           caf::message_id mid, caf::message&) {
      if (!sender || !mid.is_request())
        return;
      auto err = caf::make_error(
        errc::unsupported,
        "an actor handle of another node cannot be reached over the "
        "websocket or http transport, which carry messages to entities only "
        "(the socket transport carries them to any actor)");
      sender->enqueue(caf::make_mailbox_element(std::move(receiver),
                                                mid.response_id(), {},
                                                std::move(err)),
                      self->context());
    },
  };
}

} // namespace

struct foreign_handles::impl : caf::proxy_registry::backend {
  caf::actor_system& sys;
  caf::actor sink;
  caf::proxy_registry registry;
  caf::scoped_execution_unit ctx;

  explicit impl(caf::actor_system& sys)
    : sys(sys),
      // Hidden: a connection's stand-ins must not hold up the system's
      // shutdown.
      sink(sys.spawn<caf::hidden>(stand_in_sink)), registry(sys, *this),
      ctx(&sys) {
    ctx.proxy_registry_ptr(&registry);
  }

  ~impl() override {
    registry.clear();
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  }

  caf::strong_actor_ptr make_proxy(caf::node_id nid,
                                   caf::actor_id aid) override {
    caf::actor_config cfg;
    return caf::make_actor<caf::forwarding_actor_proxy, caf::strong_actor_ptr>(
      aid, std::move(nid), &sys, cfg, sink);
  }

  void set_last_hop(caf::node_id*) override {
    // Only BASP routes through other nodes.
  }
};

foreign_handles::foreign_handles(caf::actor_system& sys)
  : impl_(std::make_unique<impl>(sys)) {}

foreign_handles::~foreign_handles() = default;

caf::execution_unit* foreign_handles::context() noexcept {
  return &impl_->ctx;
}

} // namespace caf_cluster::internal
