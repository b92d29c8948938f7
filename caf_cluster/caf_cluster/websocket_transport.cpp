#include "caf_cluster/websocket_transport.hpp"

#include <chrono>
#include <mutex>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/exposure_warning.hpp"
#include "caf_cluster/internal/http_io.hpp"
#include "caf_cluster/internal/request.hpp"
#include "caf_cluster/internal/transport_errors.hpp"
#include "caf_cluster/internal/ws_endpoints.hpp"
#include "caf_cluster/internal/ws_io.hpp"
#include "caf_cluster/socket_transport.hpp"

namespace caf_cluster {

namespace {

// Room around a batch's payloads in one frame: the envelope and message
// headers (the socket transport allows the same).
constexpr int64_t frame_margin = 64 * 1024;

// How long a connection may stay silent; Beast pings it after half of that,
// so a live peer is never cut, and a frozen one is noticed.
constexpr auto idle_timeout = std::chrono::seconds{15};

// Bound on the TCP connect inside ws_io, plus slack for CAF's timer.
constexpr auto connect_slack = std::chrono::seconds{3};

// The WebSocket and the HTTP transport: the same actors over either I/O.
class frame_transport final : public transport {
public:
  frame_transport(caf::actor_system& sys, internal::ws_limits limits,
                  std::string name, std::shared_ptr<internal::ws_io> io)
    : sys_(sys), limits_(limits), name_(std::move(name)), io_(std::move(io)) {
    // nop
  }

  ~frame_transport() override {
    close();
    io_->shutdown();
  }

  caf::expected<runner_address>
  listen(const caf::actor& router, const runner_address& bind,
         const runner_address& advertised) override {
    // Weak: the router owns this transport (see ws_endpoints.cpp).
    auto weak = router.address();
    auto port
      = io_->listen(bind.host, bind.port,
                    [&sys = sys_, weak](internal::ws_connection_ptr conn) {
                      auto hdl = caf::actor_cast<caf::actor>(weak);
                      return hdl
                        ? internal::spawn_ws_ingress(sys, hdl, std::move(conn))
                        : caf::actor{};
                    });
    if (!port)
      return internal::cannot_listen(sys_, bind, port.error());
    std::lock_guard<std::mutex> guard{mtx_};
    listening_ = true;
    auto result = advertised;
    if (result.port == 0)
      result.port = *port;
    return result;
  }

  void close() override {
    std::lock_guard<std::mutex> guard{mtx_};
    if (listening_) {
      io_->stop_listening();
      listening_ = false;
    }
  }

  std::string exposure(const runner_address& bind) const override {
    return internal::frame_exposure(bind, name_);
  }

  void connect(caf::scheduled_actor* self, const std::string& peer,
               connect_callback done) override {
    auto addr = internal::peer_address(sys_, peer);
    if (!addr) {
      done(std::move(addr.error()));
      return;
    }
    auto router = caf::actor_cast<caf::actor>(self);
    auto proxy = internal::spawn_ws_proxy(sys_, router, *io_, addr->host,
                                          addr->port);
    auto fail = [done, peer, proxy, this](const caf::error& err) {
      caf::anon_send_exit(proxy, caf::exit_reason::user_shutdown);
      done(internal::peer_unavailable(sys_, peer, err));
    };
    auto mid = internal::request_any(
      self, proxy, caf::make_message(caf::connect_atom::value),
      [done, fail](caf::message& reply) {
        if (reply.match_elements<caf::actor>())
          done(reply.get_as<caf::actor>(0));
        else if (reply.match_elements<caf::error>())
          fail(reply.get_as<caf::error>(0));
        else
          fail(caf::make_error(caf::sec::unexpected_response));
      });
    // One CAF request timeout per connection attempt, not per message: a
    // peer that accepts nothing must fail the attempt so the router retries.
    self->request_response_timeout(
      caf::duration{limits_.handshake_timeout + connect_slack}, mid);
  }

private:
  caf::actor_system& sys_;
  internal::ws_limits limits_;
  std::string name_;
  std::shared_ptr<internal::ws_io> io_;
  std::mutex mtx_;
  bool listening_ = false;
};

caf::expected<internal::ws_limits> limits_of(const sharding_config& cfg,
                                             const char* name) {
  if (cfg.tls_enabled())
    return caf::make_error(errc::invalid_config,
                           std::string{"cluster.transport="} + name
                             + " does not support cluster.tls.*");
  internal::ws_limits limits;
  limits.max_frame_size = static_cast<size_t>(
    cfg.max_message_size + cfg.max_entity_id_length + frame_margin);
  limits.max_connections = static_cast<size_t>(cfg.max_connections);
  limits.handshake_timeout = cfg.handshake_timeout;
  limits.idle_timeout = idle_timeout;
  return limits;
}

} // namespace

caf::expected<std::shared_ptr<transport>>
make_websocket_transport(caf::actor_system& sys, const sharding_config& cfg) {
  auto limits = limits_of(cfg, "websocket");
  if (!limits)
    return std::move(limits.error());
  return std::shared_ptr<transport>{std::make_shared<frame_transport>(
    sys, *limits, "websocket", internal::make_ws_io(*limits))};
}

caf::expected<std::shared_ptr<transport>>
make_http_transport(caf::actor_system& sys, const sharding_config& cfg) {
  auto limits = limits_of(cfg, "http");
  if (!limits)
    return std::move(limits.error());
  return std::shared_ptr<transport>{std::make_shared<frame_transport>(
    sys, *limits, "http", internal::make_http_io(*limits))};
}

caf::expected<std::shared_ptr<transport>>
make_configured_transport(caf::actor_system& sys, const sharding_config& cfg) {
  if (cfg.transport == "websocket")
    return make_websocket_transport(sys, cfg);
  if (cfg.transport == "http")
    return make_http_transport(sys, cfg);
  return make_socket_transport(sys, cfg);
}

} // namespace caf_cluster
