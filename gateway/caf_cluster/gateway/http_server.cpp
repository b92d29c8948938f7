#include "caf_cluster/gateway/http_server.hpp"

#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "caf_cluster/errc.hpp"

namespace caf_cluster::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

const std::string& http_request::header(const std::string& name) const {
  static const std::string none;
  auto i = headers.find(name);
  return i == headers.end() ? none : i->second;
}

http_response text_response(unsigned status, std::string body) {
  http_response result;
  result.status = status;
  result.body = std::move(body);
  result.body += '\n';
  return result;
}

namespace {

class session;

} // namespace

struct http_server::impl {
  http_server_options options;
  http_handler handler;
  // Before the context: sessions still queued in it die with it and count
  // themselves out.
  std::atomic<size_t> open{0};
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  // Guards `stopped` against responders posting into a stopping context.
  std::mutex post_mutex;
  bool stopped = false;
  // Sessions by weak reference, for stop(); touched on the I/O thread only.
  std::list<std::weak_ptr<session>> sessions;
  // This object, for the sessions' responders.
  std::weak_ptr<impl> self;

  void accept();

  // Runs `f` on the I/O thread unless the server stopped.
  template <class F>
  void post(F&& f) {
    std::lock_guard<std::mutex> guard{post_mutex};
    if (!stopped)
      asio::post(ioc, std::forward<F>(f));
  }
};

namespace {

std::string lower(beast::string_view text) {
  std::string result{text.data(), text.size()};
  for (auto& c : result)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return result;
}

class session : public std::enable_shared_from_this<session> {
public:
  // Sessions run on the server's I/O thread, which the server joins before
  // it goes away, so they use it directly; the weak reference is for their
  // responders, which run on other threads and may outlive it.
  session(std::weak_ptr<http_server::impl> server, tcp::socket socket)
    : server_alive_(std::move(server)),
      server_(server_alive_.lock().get()),
      stream_(std::move(socket)),
      timer_(server_->ioc) {
    ++server_->open;
  }

  ~session() {
    --server_->open;
  }

  void start() {
    read();
  }

  void close() {
    error_code ec;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  // Called on the I/O thread with the answer to request number `id`.
  void answer(uint64_t id, http_response response) {
    if (id != request_id_ || answered_)
      return;
    answered_ = true;
    timer_.cancel();
    write(std::move(response), keep_alive_);
  }

private:
  void read() {
    parser_.emplace();
    parser_->header_limit(
      static_cast<std::uint32_t>(server_->options.max_header_bytes));
    parser_->body_limit(server_->options.max_body_bytes);
    stream_.expires_after(server_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) {
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
    auto peer = stream_.socket().remote_endpoint(peer_ec);
    if (!peer_ec)
      req.peer = peer.address().to_string();
    keep_alive_ = msg.keep_alive();
    answered_ = false;
    auto id = ++request_id_;
    // The stream's own timer would cut the connection while a handler
    // waits; the response timer answers 504 instead.
    stream_.expires_never();
    timer_.expires_after(server_->options.response_timeout);
    // The pending wait also keeps this session alive until the answer.
    timer_.async_wait([self = shared_from_this(), id](error_code ec) {
      if (!ec)
        self->answer(id, text_response(504, "no response in time"));
    });
    server_->handler(std::move(req), make_responder(id));
  }

  http_responder make_responder(uint64_t id) {
    // Answers 500 when the last copy goes without a call.
    struct state {
      std::weak_ptr<http_server::impl> alive;
      std::weak_ptr<session> target;
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
    st->target = weak_from_this();
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
    stream_.expires_after(server_->options.idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res,
                       keep_alive](error_code ec, size_t) {
                        if (ec || !keep_alive) {
                          self->close();
                          return;
                        }
                        self->read();
                      });
  }

  std::weak_ptr<http_server::impl> server_alive_;
  http_server::impl* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer timer_;
  uint64_t request_id_ = 0;
  bool answered_ = true;
  bool keep_alive_ = false;
};

} // namespace

void http_server::impl::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open())
      return;
    if (!ec) {
      if (open.load() >= options.max_connections) {
        error_code ignored;
        socket.close(ignored);
      } else {
        auto s = std::make_shared<session>(self, std::move(socket));
        sessions.remove_if([](auto& w) { return w.expired(); });
        sessions.push_back(s);
        s->start();
      }
    }
    accept();
  });
}

http_server::http_server(std::shared_ptr<impl> ptr) : impl_(std::move(ptr)) {
}

http_server::~http_server() {
  stop();
}

caf::expected<std::unique_ptr<http_server>>
http_server::start(http_server_options options, http_handler handler) {
  auto where = options.host + ":" + std::to_string(options.port);
  error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec)
    return caf::make_error(errc::invalid_config, "cluster.http-listen",
                      "'" + options.host + "' is not an IP address");
  auto ptr = std::make_shared<impl>();
  ptr->self = ptr;
  ptr->options = std::move(options);
  ptr->handler = std::move(handler);
  tcp::endpoint endpoint{address, ptr->options.port};
  auto& acc = ptr->acceptor;
  if (acc.open(endpoint.protocol(), ec)
      || acc.set_option(asio::socket_base::reuse_address(true), ec)
      || acc.bind(endpoint, ec)
      || acc.listen(asio::socket_base::max_listen_connections, ec))
    return caf::make_error(errc::runner_unavailable, "cluster.http-listen",
                      "cannot listen on " + where + ": " + ec.message());
  ptr->accept();
  ptr->thread = std::thread{[raw = ptr.get()] { raw->ioc.run(); }};
  return std::unique_ptr<http_server>{new http_server(std::move(ptr))};
}

uint16_t http_server::port() const noexcept {
  error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

size_t http_server::connections() const noexcept {
  return impl_->open.load();
}

void http_server::stop() {
  if (!impl_ || !impl_->thread.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{impl_->post_mutex};
    if (!impl_->stopped) {
      impl_->stopped = true;
      asio::post(impl_->ioc, [raw = impl_.get()] {
        error_code ec;
        raw->acceptor.close(ec);
        for (auto& w : raw->sessions)
          if (auto s = w.lock())
            s->close();
        raw->ioc.stop();
      });
    }
  }
  impl_->thread.join();
}

} // namespace caf_cluster::gateway
