// The client side of the HTTP transport: one session over two connections,
// one that POSTs batches of sends and one that keeps a long poll open for
// the replies.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "caf/actor.hpp"

#include "caf_cluster/internal/http_core.hpp"

namespace caf_cluster::internal {

/// The two connections of one session. Everything but `write` and `close`
/// runs on the I/O thread.
class http_client_session final
  : public ws_connection,
    public std::enable_shared_from_this<http_client_session> {
public:
  http_client_session(std::shared_ptr<http_core> core, std::string host,
                      uint16_t port);

  void write(std::vector<char> f) override;

  void close() override;

  // -- on the I/O thread ------------------------------------------------------

  void start(caf::actor owner);

  /// Queues a frame for the next POST (`post_write`).
  void enqueue(std::vector<char> f);

  void fail(const std::string& why);

private:
  using request_type
    = boost::beast::http::request<boost::beast::http::string_body>;

  using response_parser
    = boost::beast::http::response_parser<boost::beast::http::string_body>;

  void connect(boost::beast::tcp_stream& stream, std::function<void()> then);

  request_type request(const char* target, std::string body) const;

  void send_next();

  void poll_next();

  std::shared_ptr<http_core> core_;
  std::string host_;
  uint16_t port_;
  std::string id_;
  caf::actor owner_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::resolver::results_type endpoints_;
  boost::beast::tcp_stream send_stream_;
  boost::beast::tcp_stream poll_stream_;
  boost::beast::flat_buffer send_buf_;
  boost::beast::flat_buffer poll_buf_;
  request_type send_req_;
  request_type poll_req_;
  std::optional<response_parser> send_res_;
  std::optional<response_parser> poll_res_;
  std::deque<std::vector<char>> out_;
  bool open_ = false;
  bool sending_ = false;
  bool done_ = false;
};

} // namespace caf_cluster::internal
