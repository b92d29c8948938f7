// The state an http_server shares with its sessions, and the face a session
// shows to the server (stop) and to responders (answers). Sessions come in
// two stream types, plain and TLS, behind `session_base`.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include "caf_cluster/gateway/http_server.hpp"

namespace caf_cluster::gateway::internal {

/// One connection of an http_server; every member runs on the I/O thread.
class session_base {
public:
  virtual ~session_base() = default;

  /// Starts the TLS handshake (if any) and reads the first request.
  virtual void start() = 0;

  /// Closes the connection at once, without a TLS goodbye.
  virtual void close() = 0;

  /// Sends `response` if request number `id` still waits for it.
  virtual void answer(uint64_t id, http_response response) = 0;
};

} // namespace caf_cluster::gateway::internal

namespace caf_cluster::gateway {

/// The server's state; the I/O thread runs inside it.
struct http_server::impl {
  /// The limits and addresses.
  http_server_options options;
  /// Called for every complete request.
  http_handler handler;
  /// Open connections. Before the context: sessions still queued in it die
  /// with it and count themselves out.
  std::atomic<size_t> open{0};
  /// The TLS context, or null for plain HTTP.
  std::unique_ptr<boost::asio::ssl::context> tls;
  /// Runs every session.
  boost::asio::io_context ioc{1};
  /// Accepts connections.
  boost::asio::ip::tcp::acceptor acceptor{ioc};
  /// Runs `ioc`.
  std::thread thread;
  /// Guards `stopped` against responders posting into a stopping context.
  std::mutex post_mutex;
  /// Set by stop().
  bool stopped = false;
  /// Sessions by weak reference, for stop(); touched on the I/O thread only.
  std::list<std::weak_ptr<internal::session_base>> sessions;
  /// This object, for the sessions' responders.
  std::weak_ptr<impl> self;

  /// Accepts the next connection.
  void accept();

  /// Runs `f` on the I/O thread unless the server stopped.
  template <class F>
  void post(F&& f) {
    std::lock_guard<std::mutex> guard{post_mutex};
    if (!stopped)
      boost::asio::post(ioc, std::forward<F>(f));
  }
};

} // namespace caf_cluster::gateway

namespace caf_cluster::gateway::internal {

/// A session on `socket` for `server`, plain or TLS as the server is; call
/// start() on it.
std::shared_ptr<session_base>
make_session(std::weak_ptr<http_server::impl> server,
             boost::asio::ip::tcp::socket socket);

} // namespace caf_cluster::gateway::internal
