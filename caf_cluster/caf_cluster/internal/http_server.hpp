// The server side of the HTTP transport: a client's session, which is the
// connection its owning actor sees, and the TCP connections that carry the
// session's requests. A session outlives a connection; connections find
// their session by its header.
#pragma once

#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "caf/actor.hpp"

#include "caf_cluster/internal/http_core.hpp"

namespace caf_cluster::internal {

/// One client session, shared by its connections. Everything but `write`
/// and `close` runs on the I/O thread.
class http_server_session final
  : public ws_connection,
    public std::enable_shared_from_this<http_server_session> {
public:
  using responder = std::function<void(std::string)>;

  http_server_session(std::shared_ptr<http_core> core, std::string id);

  void write(std::vector<char> f) override;

  void close() override;

  // -- on the I/O thread ------------------------------------------------------

  bool start(const std::shared_ptr<ws_accept_handler>& on_accept);

  void attach(const std::shared_ptr<http_server_conn>& conn);

  bool deliver(const std::string& body);

  void poll(responder r);

  /// Queues a frame of replies for the next poll (`post_write`).
  void enqueue(std::vector<char> f);

  void fail(const std::string& why);

private:
  void touch();

  void flush();

  std::shared_ptr<http_core> core_;
  std::string id_;
  caf::actor owner_;
  std::deque<std::vector<char>> replies_;
  responder parked_;
  boost::asio::steady_timer hold_;
  boost::asio::steady_timer idle_;
  std::list<std::weak_ptr<http_server_conn>> conns_;
  bool done_ = false;
};

/// One accepted TCP connection, on the I/O thread.
class http_server_conn final
  : public std::enable_shared_from_this<http_server_conn> {
public:
  http_server_conn(std::shared_ptr<http_core> core,
                   boost::asio::ip::tcp::socket sock);

  ~http_server_conn();

  void read_next();

  void respond(boost::beast::http::status status, std::string body, bool keep);

  void shut();

private:
  using request_type
    = boost::beast::http::request<boost::beast::http::string_body>;

  void handle(request_type req);

  std::shared_ptr<http_server_session> find_or_start(const std::string& id);

  std::shared_ptr<http_core> core_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buf_;
  std::optional<
    boost::beast::http::request_parser<boost::beast::http::string_body>>
    parser_;
  bool first_ = true;
};

} // namespace caf_cluster::internal
