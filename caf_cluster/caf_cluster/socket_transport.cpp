#include "caf_cluster/socket_transport.hpp"

#include <chrono>
#include <mutex>
#include <set>
#include <string>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/io/middleman.hpp"
#include "caf/io/middleman_actor.hpp"
#include "caf/node_id.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/connection_gate.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/exposure_warning.hpp"
#include "caf_cluster/internal/gated_middleman.hpp"
#include "caf_cluster/internal/request.hpp"
#include "caf_cluster/internal/transport_errors.hpp"
#include "caf_cluster/tls.hpp"

namespace caf_cluster {

namespace {

constexpr int64_t frame_margin = 64 * 1024;

// Bound on one connection attempt; refused loopback ports fail at once, this
// only matters for peers that accept nothing (a frozen process).
constexpr auto connect_timeout = std::chrono::seconds{2};

class socket_transport final : public transport {
public:
  socket_transport(caf::actor_system& sys, internal::gate_limits limits,
                   bool tls)
    : sys_(sys), gate_(std::make_shared<internal::connection_gate>(limits)),
      middleman_(internal::spawn_gated_middleman(sys, gate_, tls)), tls_(tls) {
    // nop
  }

  ~socket_transport() override {
    close();
    caf::anon_send_exit(middleman_, caf::exit_reason::user_shutdown);
  }

  caf::expected<runner_address>
  listen(const caf::actor& router, const runner_address& bind,
         const runner_address& advertised) override {
    // SO_REUSEADDR: a runner restarted after a crash must get its port back
    // while the dead process's connections linger in TIME-WAIT; Linux still
    // refuses a second live listener on the port.
    auto port = publish(router, bind);
    if (!port)
      return internal::cannot_listen(sys_, bind, port.error());
    std::lock_guard<std::mutex> guard{mtx_};
    published_ = router;
    port_ = *port;
    auto result = advertised;
    if (result.port == 0)
      result.port = *port;
    return result;
  }

  std::string exposure(const runner_address& bind) const override {
    return internal::socket_exposure(bind, tls_);
  }

  void close() override {
    std::lock_guard<std::mutex> guard{mtx_};
    if (published_) {
      caf::scoped_actor self{sys_, true};
      self
        ->request(middleman_, caf::infinite, caf::unpublish_atom::value,
                  caf::actor_cast<caf::actor_addr>(published_), port_)
        .receive([] {}, [](caf::error&) {});
      published_ = nullptr;
    }
  }

  void connect(caf::scheduled_actor* self, const std::string& peer,
               connect_callback done) override {
    auto addr = internal::peer_address(sys_, peer);
    if (!addr) {
      done(std::move(addr.error()));
      return;
    }
    auto fail = [done, peer, this](const caf::error& err) {
      done(internal::peer_unavailable(sys_, peer, err));
    };
    auto mid = internal::request_any(
      self, caf::actor_cast<caf::actor>(middleman_),
      caf::make_message(caf::connect_atom::value, addr->host, addr->port),
      [done, fail](caf::message& reply) {
        if (reply.match_elements<caf::error>()) {
          fail(reply.get_as<caf::error>(0));
        } else if (reply.match_elements<caf::node_id, caf::strong_actor_ptr,
                                        std::set<std::string>>()) {
          auto& ptr = reply.get_as<caf::strong_actor_ptr>(1);
          if (!ptr)
            fail(caf::make_error(caf::sec::no_actor_published_at_port));
          else
            done(caf::actor_cast<caf::actor>(ptr));
        } else {
          fail(caf::make_error(caf::sec::unexpected_response));
        }
      });
    // One CAF request timeout per connection attempt (not per message, so
    // its cost does not matter): a peer that accepts nothing must fail the
    // attempt, so that the router tries again.
    self->request_response_timeout(caf::duration{connect_timeout}, mid);
  }

private:
  // middleman().publish, through our middleman actor.
  caf::expected<uint16_t> publish(const caf::actor& router,
                                  const runner_address& bind) {
    caf::expected<uint16_t> result{caf::sec::runtime_error};
    caf::scoped_actor self{sys_, true};
    self
      ->request(middleman_, caf::infinite, caf::publish_atom::value, bind.port,
                caf::actor_cast<caf::strong_actor_ptr>(router),
                std::set<std::string>{}, bind.host, true)
      .receive(
        [&](uint16_t port) {
          result = port;
        },
        [&](caf::error& err) {
          result = std::move(err);
        });
    return result;
  }

  caf::actor_system& sys_;
  std::shared_ptr<internal::connection_gate> gate_;
  caf::io::middleman_actor middleman_;
  bool tls_;
  std::mutex mtx_;
  caf::actor published_;
  uint16_t port_ = 0;
};

} // namespace

void enable_socket_transport(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  internal::add_envelope_types(cfg);
}

caf::expected<std::shared_ptr<transport>>
make_socket_transport(caf::actor_system& sys, const sharding_config& cfg) {
  if (!tls_applied(sys, cfg))
    return caf::make_error(errc::invalid_config,
                           "cluster.tls.* is set but the actor system runs "
                           "without it: call caf_cluster::enable_tls on its "
                           "configuration before it starts");
  internal::gate_limits limits;
  // A frame carries one batch of sends or replies: the routers keep a
  // batch's payloads, ids and per-item allowance within max-message-size,
  // a single oversized-by-its-envelope item goes alone, and this margin
  // covers the envelope and message headers around them.
  limits.max_message_size = static_cast<uint32_t>(
    cfg.max_message_size + cfg.max_entity_id_length + frame_margin);
  limits.max_connections = static_cast<size_t>(cfg.max_connections);
  limits.handshake_timeout = cfg.handshake_timeout;
  return std::shared_ptr<transport>{
    std::make_shared<socket_transport>(sys, limits, cfg.tls_enabled())};
}

} // namespace caf_cluster
