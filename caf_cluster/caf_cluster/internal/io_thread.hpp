// What the WebSocket and HTTP transports' I/O objects share beyond
// asio_listener: the one thread that runs every connection, the listener
// with its connection cap, and the order of a shutdown. Each transport adds
// its connections through the hooks of `io_core`. Included only by their
// sources, so Asio stays out of every other translation unit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "caf_cluster/internal/ws_io.hpp"

namespace caf_cluster::internal {

/// What connections share with the thread that runs them. Everything but
/// `limits`, `ioc`, `stopped` and `accepted` is for the I/O thread only.
struct io_core : std::enable_shared_from_this<io_core> {
  explicit io_core(ws_limits lim);

  virtual ~io_core();

  ws_limits limits;
  boost::asio::io_context ioc{1};
  std::atomic<bool> stopped{false};
  std::atomic<size_t> accepted{0}; // server connections open now
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  std::shared_ptr<ws_accept_handler> on_accept;

  // -- hooks of the transport, on the I/O thread ------------------------------

  /// Forgets closed connections, so that lists do not grow with churn;
  /// called at every accept.
  virtual void forget_closed() = 0;

  /// Takes over `sock`, accepted within the connection cap.
  virtual void admit(boost::asio::ip::tcp::socket sock) = 0;

  /// Closes every connection (`transport stopped`) at shutdown.
  virtual void stop_all() = 0;
};

/// `ws_connection::write` of a connection whose I/O runs on `core`'s thread:
/// `session->enqueue(frame)` runs there, after the transport stopped never.
template <class Session>
void post_write(io_core& core, std::shared_ptr<Session> session,
                std::vector<char> frame) {
  if (core.stopped)
    return;
  boost::asio::post(core.ioc, [session = std::move(session),
                               f = std::move(frame)]() mutable {
    session->enqueue(std::move(f));
  });
}

/// `ws_connection::close` of such a connection: it fails on its thread.
template <class Session>
void post_close(io_core& core, std::shared_ptr<Session> session) {
  if (core.stopped)
    return;
  boost::asio::post(core.ioc, [session = std::move(session)] {
    session->fail("closed locally");
  });
}

/// A `ws_io` whose I/O thread runs `core`; transports add `connect`.
class io_thread : public ws_io {
public:
  explicit io_thread(std::shared_ptr<io_core> core);

  ~io_thread() override;

  caf::expected<uint16_t> listen(const std::string& host, uint16_t port,
                                 ws_accept_handler f) final;

  void stop_listening() final;

  void shutdown() final;

private:
  std::shared_ptr<io_core> core_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
    work_;
  std::thread thread_;
};

} // namespace caf_cluster::internal
