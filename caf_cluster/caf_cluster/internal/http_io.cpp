// Ties the HTTP transport's two sides to its I/O thread: accepted sockets
// become server connections, `connect` opens client sessions, and shutdown
// ends both. Everything runs on the one I/O thread (see http_server.cpp).
#include "caf_cluster/internal/http_io.hpp"

#include <utility>

#include <boost/asio/post.hpp>

#include "caf/send.hpp"

#include "caf_cluster/internal/http_client.hpp"
#include "caf_cluster/internal/http_core.hpp"
#include "caf_cluster/internal/http_server.hpp"
#include "caf_cluster/internal/io_thread.hpp"

namespace caf_cluster::internal {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class http_io_impl final : public io_thread {
public:
  explicit http_io_impl(std::shared_ptr<http_core> core)
    : io_thread(core), core_(std::move(core)) {
    // nop
  }

  ws_connection_ptr connect(const std::string& host, uint16_t port,
                            caf::actor owner) override {
    auto s = std::make_shared<http_client_session>(core_, host, port);
    if (core_->stopped) {
      caf::anon_send(owner, ws_closed_atom::value,
                     std::string{"transport stopped"});
      return s;
    }
    net::post(core_->ioc, [core = core_, s, owner]() mutable {
      core->clients.remove_if([](const std::weak_ptr<http_client_session>& x) {
        return x.expired();
      });
      core->clients.emplace_back(s);
      s->start(std::move(owner));
    });
    return s;
  }

private:
  std::shared_ptr<http_core> core_;
};

} // namespace

void http_core::forget_closed() {
  conns.remove_if([](const std::weak_ptr<http_server_conn>& x) {
    return x.expired();
  });
}

void http_core::admit(tcp::socket sock) {
  auto c = std::make_shared<http_server_conn>(self(), std::move(sock));
  conns.emplace_back(c);
  c->read_next();
}

void http_core::stop_all() {
  // A session's fail() erases it from `sessions`.
  auto stopping = std::move(sessions);
  for (auto& kvp : stopping)
    kvp.second->fail("transport stopped");
  for (auto& weak : clients)
    if (auto s = weak.lock())
      s->fail("transport stopped");
  clients.clear();
  for (auto& weak : conns)
    if (auto c = weak.lock())
      c->shut();
  conns.clear();
}

std::shared_ptr<http_core> http_core::self() {
  return std::static_pointer_cast<http_core>(shared_from_this());
}

std::shared_ptr<ws_io> make_http_io(ws_limits limits) {
  return std::make_shared<http_io_impl>(std::make_shared<http_core>(limits));
}

} // namespace caf_cluster::internal
