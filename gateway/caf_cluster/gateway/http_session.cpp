// One connection of the gateway's HTTP server: reads requests within the
// limits, hands them to the handler and writes the answers in order. The same
// code serves plain and TLS connections, which differ only in their stream,
// their handshake and their goodbye.
#include <atomic>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "caf_cluster/gateway/internal/http_server_impl.hpp"

namespace caf_cluster::gateway::internal {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string lower(beast::string_view text) {
  std::string result{text.data(), text.size()};
  for (auto& c : result)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return result;
}

template <class Stream>
class session : public session_base,
                public std::enable_shared_from_this<session<Stream>> {
public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  // Sessions run on the server's I/O thread, which the server joins before
  // it goes away, so they use it directly; the weak reference is for their
  // responders, which run on other threads and may outlive it.
  session(std::weak_ptr<http_server::impl> server, tcp::socket socket)
    : server_alive_(std::move(server)),
      server_(server_alive_.lock().get()),
      stream_(make_stream(std::move(socket), *server_)),
      timer_(server_->ioc) {
    ++server_->open;
  }

  ~session() override {
    --server_->open;
  }

  void start() override {
    if constexpr (is_tls) {
      // A client that never finishes its handshake (or speaks plain HTTP,
      // which OpenSSL rejects at once) is dropped without an answer: there
      // is no channel to answer on.
      tcp_layer().expires_after(server_->options.handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (ec) {
                                  self->close();
                                  return;
                                }
                                self->read();
                              });
    } else {
      read();
    }
  }

  void close() override {
    error_code ec;
    timer_.cancel();
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer().socket().close(ec);
  }

  void answer(uint64_t id, http_response response) override {
    if (id != request_id_ || answered_)
      return;
    answered_ = true;
    timer_.cancel();
    write(std::move(response), keep_alive_);
  }

private:
  static Stream make_stream(tcp::socket socket, http_server::impl& server) {
    if constexpr (is_tls)
      return Stream{std::move(socket), *server.tls};
    else
      return Stream{std::move(socket)};
  }

  beast::tcp_stream& tcp_layer() {
    return beast::get_lowest_layer(stream_);
  }

  // Ends a connection after its last response. TLS says goodbye first
  // (close_notify), bounded like a handshake, so that clients see a clean
  // end rather than a truncated stream.
  void finish() {
    if constexpr (is_tls) {
      tcp_layer().expires_after(server_->options.handshake_timeout);
      stream_.async_shutdown(
        [self = this->shared_from_this()](error_code) { self->close(); });
    } else {
      close();
    }
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(
      static_cast<std::uint32_t>(server_->options.max_header_bytes));
    parser_->body_limit(server_->options.max_body_bytes);
    tcp_layer().expires_after(server_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec,
                                                       size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(error_code ec) {
    if (ec == http::error::body_limit) {
      write(text_response(413, "request body larger than "
                                 + std::to_string(
                                   server_->options.max_body_bytes)
                                 + " bytes"),
            false);
      return;
    }
    if (ec == http::error::header_limit) {
      write(text_response(431, "request header section larger than "
                                 + std::to_string(
                                   server_->options.max_header_bytes)
                                 + " bytes"),
            false);
      return;
    }
    if (ec
        && ec.category()
             == http::make_error_code(http::error::bad_method).category()
        && ec != http::error::end_of_stream
        && ec != http::error::partial_message) {
      write(text_response(400, "malformed HTTP request: " + ec.message()),
            false);
      return;
    }
    if (ec) {
      close();
      return;
    }
    auto msg = parser_->release();
    http_request req;
    req.method = std::string{msg.method_string()};
    auto target = std::string{msg.target()};
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos)
      req.query = target.substr(q + 1);
    for (auto& field : msg)
      req.headers[lower(field.name_string())] = std::string{field.value()};
    req.body = std::move(msg.body());
    error_code peer_ec;
    auto peer = tcp_layer().socket().remote_endpoint(peer_ec);
    if (!peer_ec)
      req.peer = peer.address().to_string();
    keep_alive_ = msg.keep_alive();
    answered_ = false;
    auto id = ++request_id_;
    // The stream's own timer would cut the connection while a handler
    // waits; the response timer answers 504 instead.
    tcp_layer().expires_never();
    timer_.expires_after(server_->options.response_timeout);
    // The pending wait also keeps this session alive until the answer.
    timer_.async_wait([self = this->shared_from_this(), id](error_code ec) {
      if (!ec)
        self->answer(id, text_response(504, "no response in time"));
    });
    server_->handler(std::move(req), make_responder(id));
  }

  http_responder make_responder(uint64_t id) {
    // Answers 500 when the last copy goes without a call.
    struct state {
      std::weak_ptr<http_server::impl> alive;
      std::weak_ptr<session_base> target;
      uint64_t id;
      std::atomic<bool> done{false};

      void deliver(http_response response) {
        if (done.exchange(true))
          return;
        auto keep = alive.lock();
        if (!keep)
          return;
        keep->post([target = target, id = id,
                    response = std::move(response)]() mutable {
          if (auto self = target.lock())
            self->answer(id, std::move(response));
        });
      }

      ~state() {
        if (!done)
          deliver(text_response(500, "the request was dropped unanswered"));
      }
    };
    auto st = std::make_shared<state>();
    st->alive = server_alive_;
    st->target = this->weak_from_this();
    st->id = id;
    return [st](http_response response) { st->deliver(std::move(response)); };
  }

  void write(http_response response, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(response.status);
    res->set(http::field::server, "caf-cluster");
    res->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers)
      res->set(name, value);
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    tcp_layer().expires_after(server_->options.idle_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res,
                       keep_alive](error_code ec, size_t) {
                        if (ec)
                          self->close();
                        else if (!keep_alive)
                          self->finish();
                        else
                          self->read();
                      });
  }

  std::weak_ptr<http_server::impl> server_alive_;
  http_server::impl* server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer timer_;
  uint64_t request_id_ = 0;
  bool answered_ = true;
  bool keep_alive_ = false;
};

} // namespace

std::shared_ptr<session_base>
make_session(std::weak_ptr<http_server::impl> server, tcp::socket socket) {
  auto locked = server.lock();
  if (locked && locked->tls)
    return std::make_shared<session<tls_stream>>(std::move(server),
                                                 std::move(socket));
  return std::make_shared<session<beast::tcp_stream>>(std::move(server),
                                                      std::move(socket));
}

} // namespace caf_cluster::gateway::internal
