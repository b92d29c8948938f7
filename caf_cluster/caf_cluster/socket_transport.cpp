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

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/request.hpp"

namespace caf_cluster {

namespace {

// Bound on one connection attempt; refused loopback ports fail at once, this
// only matters for peers that accept nothing (a frozen process).
constexpr auto connect_timeout = std::chrono::seconds{2};

class socket_transport final : public transport {
public:
  explicit socket_transport(caf::actor_system& sys) : sys_(sys) {
    // nop
  }

  ~socket_transport() override {
    close();
  }

  caf::expected<runner_address>
  listen(const caf::actor& router, const runner_address& bind,
         const runner_address& advertised) override {
    // SO_REUSEADDR: a runner restarted after a crash must get its port back
    // while the dead process's connections linger in TIME-WAIT; Linux still
    // refuses a second live listener on the port.
    auto port = sys_.middleman().publish(router, bind.port, bind.host.c_str(),
                                         true);
    if (!port)
      return caf::make_error(errc::runner_unavailable,
                             "cannot listen on " + to_string(bind) + ": "
                               + sys_.render(port.error()));
    std::lock_guard<std::mutex> guard{mtx_};
    published_ = router;
    port_ = *port;
    auto result = advertised;
    if (result.port == 0)
      result.port = *port;
    return result;
  }

  void close() override {
    std::lock_guard<std::mutex> guard{mtx_};
    if (published_) {
      sys_.middleman().unpublish(published_, port_);
      published_ = nullptr;
    }
  }

  void connect(caf::scheduled_actor* self, const std::string& peer,
               connect_callback done) override {
    auto addr = parse_runner_address(peer);
    if (!addr) {
      done(caf::make_error(errc::runner_unavailable, peer,
                           sys_.render(addr.error())));
      return;
    }
    auto fail = [done, peer, this](const caf::error& err) {
      done(caf::make_error(errc::runner_unavailable, peer, sys_.render(err)));
    };
    auto mid = internal::request_any(
      self, sys_.middleman().actor_handle(),
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
  caf::actor_system& sys_;
  std::mutex mtx_;
  caf::actor published_;
  uint16_t port_ = 0;
};

} // namespace

void enable_socket_transport(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  internal::add_envelope_types(cfg);
}

std::shared_ptr<transport> make_socket_transport(caf::actor_system& sys) {
  return std::make_shared<socket_transport>(sys);
}

} // namespace caf_cluster
