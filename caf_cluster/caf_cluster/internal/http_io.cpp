// Everything here runs on the one I/O thread, so sessions need no strand or
// lock: other threads reach them only through `net::post`.
#include "caf_cluster/internal/http_io.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/asio_listener.hpp"
#include "caf_cluster/internal/frame_codec.hpp"

namespace caf_cluster::internal {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr const char* send_target = "/caf-cluster/send";
constexpr const char* poll_target = "/caf-cluster/poll";
constexpr const char* session_field = "X-Caf-Cluster-Session";

// How long the server holds a poll without replies; the client polls again
// at once, so this also bounds how long a session stays without requests.
constexpr auto poll_hold = std::chrono::seconds{5};

constexpr auto connect_timeout = std::chrono::seconds{2};

// Room for the length prefixes of a body's frames.
constexpr size_t body_margin = 64 * 1024;

using frame = std::vector<char>;

std::string random_session_id() {
  std::random_device rd;
  std::mt19937_64 gen{(static_cast<uint64_t>(rd()) << 32) ^ rd()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  for (int i = 0; i < 32; ++i)
    result.push_back(digits[gen() & 0xF]);
  return result;
}

struct io_core;
class server_conn;

// -- server: one client session, shared by its connections
// ---------------------

class server_session final
  : public ws_connection,
    public std::enable_shared_from_this<server_session> {
public:
  using responder = std::function<void(std::string)>;

  server_session(std::shared_ptr<io_core> core, std::string id);

  void write(frame f) override;

  void close() override;

  // -- on the I/O thread ------------------------------------------------------

  bool start(const std::shared_ptr<ws_accept_handler>& on_accept);

  void attach(const std::shared_ptr<server_conn>& conn);

  bool deliver(const std::string& body);

  void poll(responder r);

  void fail(const std::string& why);

private:
  void touch();

  void flush();

  std::shared_ptr<io_core> core_;
  std::string id_;
  caf::actor owner_;
  std::deque<frame> replies_;
  responder parked_;
  net::steady_timer hold_;
  net::steady_timer idle_;
  std::list<std::weak_ptr<server_conn>> conns_;
  bool done_ = false;
};

// -- client: two connections of one session ----------------------------------

class client_session final
  : public ws_connection,
    public std::enable_shared_from_this<client_session> {
public:
  client_session(std::shared_ptr<io_core> core, std::string host,
                 uint16_t port);

  void write(frame f) override;

  void close() override;

  // -- on the I/O thread ------------------------------------------------------

  void start(caf::actor owner);

  void fail(const std::string& why);

private:
  void connect(beast::tcp_stream& stream, std::function<void()> then);

  http::request<http::string_body> request(const char* target,
                                           std::string body) const;

  void send_next();

  void poll_next();

  std::shared_ptr<io_core> core_;
  std::string host_;
  uint16_t port_;
  std::string id_;
  caf::actor owner_;
  tcp::resolver resolver_;
  tcp::resolver::results_type endpoints_;
  beast::tcp_stream send_stream_;
  beast::tcp_stream poll_stream_;
  beast::flat_buffer send_buf_;
  beast::flat_buffer poll_buf_;
  http::request<http::string_body> send_req_;
  http::request<http::string_body> poll_req_;
  std::optional<http::response_parser<http::string_body>> send_res_;
  std::optional<http::response_parser<http::string_body>> poll_res_;
  std::deque<frame> out_;
  bool open_ = false;
  bool sending_ = false;
  bool done_ = false;
};

// What sessions share with the thread that runs them.
struct io_core {
  explicit io_core(ws_limits lim) : limits(lim) {
    // nop
  }

  ws_limits limits;
  net::io_context ioc{1};
  std::atomic<bool> stopped{false};
  std::atomic<size_t> accepted{0}; // server connections open now
  // On the I/O thread only.
  std::shared_ptr<tcp::acceptor> acceptor;
  std::shared_ptr<ws_accept_handler> on_accept;
  std::map<std::string, std::shared_ptr<server_session>> sessions;
  std::list<std::weak_ptr<client_session>> clients;
  std::list<std::weak_ptr<server_conn>> conns;
};

// -- server: one TCP connection -----------------------------------------------

class server_conn final : public std::enable_shared_from_this<server_conn> {
public:
  server_conn(std::shared_ptr<io_core> core, tcp::socket sock)
    : core_(std::move(core)), stream_(std::move(sock)) {
    ++core_->accepted;
  }

  ~server_conn() {
    --core_->accepted;
  }

  void read_next() {
    parser_.emplace();
    parser_->body_limit(core_->limits.max_frame_size + body_margin);
    parser_->header_limit(8 * 1024);
    // The first request is the handshake of sorts; later ones come at least
    // every poll_hold on the poll connection, and whenever there are sends.
    stream_.expires_after(first_ ? core_->limits.handshake_timeout
                                 : core_->limits.idle_timeout);
    http::async_read(stream_, buf_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) {
                         self->shut();
                         return;
                       }
                       self->first_ = false;
                       self->handle(self->parser_->release());
                     });
  }

  void respond(http::status status, std::string body, bool keep) {
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->keep_alive(keep);
    if (!body.empty())
      res->set(http::field::content_type, "application/octet-stream");
    res->body() = std::move(body);
    res->prepare_payload();
    stream_.expires_after(core_->limits.idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res,
                       keep](beast::error_code ec, size_t) {
                        if (ec || !keep)
                          self->shut();
                        else
                          self->read_next();
                      });
  }

  void shut() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

private:
  void handle(http::request<http::string_body> req) {
    auto id = std::string{req[session_field]};
    if (req.method() != http::verb::post || id.empty() || id.size() > 64) {
      respond(http::status::bad_request, {}, false);
      return;
    }
    auto target = req.target();
    bool sending = target == send_target;
    if (!sending && target != poll_target) {
      respond(http::status::not_found, {}, false);
      return;
    }
    auto session = find_or_start(id);
    if (!session) {
      respond(http::status::service_unavailable, {}, false);
      return;
    }
    session->attach(shared_from_this());
    if (sending) {
      if (session->deliver(req.body()))
        respond(http::status::no_content, {}, true);
      else
        respond(http::status::bad_request, {}, false);
    } else {
      session->poll([self = shared_from_this()](std::string body) {
        // The status first: arguments are evaluated in no fixed order.
        auto status = body.empty() ? http::status::no_content
                                   : http::status::ok;
        self->respond(status, std::move(body), true);
      });
    }
  }

  std::shared_ptr<server_session> find_or_start(const std::string& id) {
    if (auto i = core_->sessions.find(id); i != core_->sessions.end())
      return i->second;
    if (!core_->on_accept)
      return nullptr;
    auto s = std::make_shared<server_session>(core_, id);
    if (!s->start(core_->on_accept))
      return nullptr;
    core_->sessions.emplace(id, s);
    return s;
  }

  std::shared_ptr<io_core> core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool first_ = true;
};

// -- server_session
// -------------------------------------------------------------

server_session::server_session(std::shared_ptr<io_core> core, std::string id)
  : core_(std::move(core)), id_(std::move(id)), hold_(core_->ioc),
    idle_(core_->ioc) {
  // nop
}

void server_session::write(frame f) {
  if (core_->stopped)
    return;
  net::post(core_->ioc,
            [self = shared_from_this(), f = std::move(f)]() mutable {
              if (self->done_)
                return;
              self->replies_.emplace_back(std::move(f));
              self->flush();
            });
}

void server_session::close() {
  if (core_->stopped)
    return;
  net::post(core_->ioc, [self = shared_from_this()] {
    self->fail("closed locally");
  });
}

bool server_session::start(
  const std::shared_ptr<ws_accept_handler>& on_accept) {
  owner_ = (*on_accept)(shared_from_this());
  if (!owner_)
    return false;
  touch();
  return true;
}

void server_session::attach(const std::shared_ptr<server_conn>& conn) {
  touch();
  conns_.remove_if([](const std::weak_ptr<server_conn>& x) {
    return x.expired();
  });
  for (auto& x : conns_)
    if (x.lock() == conn)
      return;
  conns_.emplace_back(conn);
}

bool server_session::deliver(const std::string& body) {
  std::vector<frame> frames;
  if (!split_frames(body, frames))
    return false;
  if (done_ || !owner_)
    return true;
  for (auto& f : frames)
    caf::anon_send(owner_, ws_frame_atom::value, std::move(f));
  return true;
}

void server_session::poll(responder r) {
  if (done_) {
    r({});
    return;
  }
  // One poll at a time: a second one releases the first empty.
  if (parked_)
    std::exchange(parked_, nullptr)({});
  parked_ = std::move(r);
  if (!replies_.empty()) {
    flush();
    return;
  }
  hold_.expires_after(poll_hold);
  hold_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->parked_)
      std::exchange(self->parked_, nullptr)({});
  });
}

void server_session::flush() {
  if (!parked_ || replies_.empty())
    return;
  // At least one frame, then as many as fit the client's limit.
  std::string body;
  do {
    append_frame(body, replies_.front());
    replies_.pop_front();
  } while (!replies_.empty()
           && body.size() + replies_.front().size() + 4
             <= core_->limits.max_frame_size);
  hold_.cancel();
  std::exchange(parked_, nullptr)(std::move(body));
}

void server_session::touch() {
  idle_.expires_after(core_->limits.idle_timeout);
  idle_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec)
      self->fail("no request within the idle timeout");
  });
}

void server_session::fail(const std::string& why) {
  if (done_)
    return;
  done_ = true;
  hold_.cancel();
  idle_.cancel();
  replies_.clear();
  parked_ = nullptr;
  // The client must notice: its connections of this session go too.
  for (auto& weak : conns_)
    if (auto c = weak.lock())
      c->shut();
  conns_.clear();
  if (auto i = core_->sessions.find(id_);
      i != core_->sessions.end() && i->second.get() == this)
    core_->sessions.erase(i);
  if (owner_) {
    caf::anon_send(owner_, ws_closed_atom::value, why);
    owner_ = nullptr;
  }
}

// -- client_session
// -------------------------------------------------------------

client_session::client_session(std::shared_ptr<io_core> core, std::string host,
                               uint16_t port)
  : core_(std::move(core)), host_(std::move(host)), port_(port),
    id_(random_session_id()), resolver_(core_->ioc), send_stream_(core_->ioc),
    poll_stream_(core_->ioc) {
  // nop
}

void client_session::write(frame f) {
  if (core_->stopped)
    return;
  net::post(core_->ioc,
            [self = shared_from_this(), f = std::move(f)]() mutable {
              if (self->done_)
                return;
              self->out_.emplace_back(std::move(f));
              self->send_next();
            });
}

void client_session::close() {
  if (core_->stopped)
    return;
  net::post(core_->ioc, [self = shared_from_this()] {
    self->fail("closed locally");
  });
}

void client_session::start(caf::actor owner) {
  owner_ = std::move(owner);
  resolver_.async_resolve(
    host_, std::to_string(port_),
    [self = shared_from_this()](beast::error_code ec,
                                tcp::resolver::results_type rs) {
      if (self->done_)
        return;
      if (ec) {
        self->fail("cannot resolve " + self->host_ + ": " + ec.message());
        return;
      }
      self->endpoints_ = rs;
      self->connect(self->send_stream_, [self] {
        self->connect(self->poll_stream_, [self] {
          self->open_ = true;
          caf::anon_send(self->owner_, ws_open_atom::value);
          self->poll_next();
          self->send_next();
        });
      });
    });
}

void client_session::connect(beast::tcp_stream& stream,
                             std::function<void()> then) {
  stream.expires_after(connect_timeout);
  stream.async_connect(endpoints_,
                       [self = shared_from_this(), &stream,
                        then](beast::error_code ec, const tcp::endpoint&) {
                         if (self->done_)
                           return;
                         if (ec) {
                           self->fail("cannot connect: " + ec.message());
                           return;
                         }
                         beast::error_code ignored;
                         stream.socket().set_option(tcp::no_delay{true},
                                                    ignored);
                         then();
                       });
}

http::request<http::string_body>
client_session::request(const char* target, std::string body) const {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, host_ + ":" + std::to_string(port_));
  req.set(session_field, id_);
  req.keep_alive(true);
  if (!body.empty())
    req.set(http::field::content_type, "application/octet-stream");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

void client_session::send_next() {
  if (!open_ || sending_ || out_.empty() || done_)
    return;
  sending_ = true;
  // Every batch queued while the last POST was out, within the frame limit.
  std::string body;
  do {
    append_frame(body, out_.front());
    out_.pop_front();
  } while (!out_.empty()
           && body.size() + out_.front().size() + 4
             <= core_->limits.max_frame_size);
  send_req_ = request(send_target, std::move(body));
  send_stream_.expires_after(core_->limits.idle_timeout);
  http::async_write(
    send_stream_, send_req_,
    [self = shared_from_this()](beast::error_code ec, size_t) {
      if (self->done_)
        return;
      if (ec) {
        self->fail("send: " + ec.message());
        return;
      }
      self->send_res_.emplace();
      self->send_res_->body_limit(1024);
      http::async_read(
        self->send_stream_, self->send_buf_, *self->send_res_,
        [self](beast::error_code ec, size_t) {
          if (self->done_)
            return;
          if (ec
              || self->send_res_->get().result() != http::status::no_content) {
            self->fail(
              ec ? "send: " + ec.message()
                 : "send: HTTP status "
                  + std::to_string(self->send_res_->get().result_int()));
            return;
          }
          self->sending_ = false;
          self->send_next();
        });
    });
}

void client_session::poll_next() {
  if (done_)
    return;
  poll_req_ = request(poll_target, {});
  // The server holds a poll up to poll_hold; a frozen server is noticed
  // after that plus the idle timeout.
  poll_stream_.expires_after(poll_hold + core_->limits.idle_timeout);
  http::async_write(
    poll_stream_, poll_req_,
    [self = shared_from_this()](beast::error_code ec, size_t) {
      if (self->done_)
        return;
      if (ec) {
        self->fail("poll: " + ec.message());
        return;
      }
      self->poll_res_.emplace();
      self->poll_res_->body_limit(self->core_->limits.max_frame_size
                                  + body_margin);
      http::async_read(
        self->poll_stream_, self->poll_buf_, *self->poll_res_,
        [self](beast::error_code ec, size_t) {
          if (self->done_)
            return;
          if (ec) {
            self->fail("poll: " + ec.message());
            return;
          }
          auto& res = self->poll_res_->get();
          std::vector<frame> frames;
          if (res.result() == http::status::ok) {
            if (!split_frames(res.body(), frames)) {
              self->fail("poll: malformed response body");
              return;
            }
          } else if (res.result() != http::status::no_content) {
            self->fail("poll: HTTP status " + std::to_string(res.result_int()));
            return;
          }
          for (auto& f : frames)
            caf::anon_send(self->owner_, ws_frame_atom::value, std::move(f));
          self->poll_next();
        });
    });
}

void client_session::fail(const std::string& why) {
  if (done_)
    return;
  done_ = true;
  out_.clear();
  resolver_.cancel();
  beast::error_code ignored;
  for (auto* s : {&send_stream_, &poll_stream_}) {
    s->socket().shutdown(tcp::socket::shutdown_both, ignored);
    s->socket().close(ignored);
  }
  if (owner_) {
    caf::anon_send(owner_, ws_closed_atom::value, why);
    owner_ = nullptr;
  }
}

// -- the I/O thread
// -------------------------------------------------------------

void close_acceptor(io_core& core) {
  if (core.acceptor) {
    beast::error_code ignored;
    core.acceptor->close(ignored);
    core.acceptor = nullptr;
  }
}

void accept_next(const std::shared_ptr<io_core>& core) {
  if (!core->acceptor)
    return;
  core->acceptor->async_accept(
    [core, acc = core->acceptor](beast::error_code ec, tcp::socket sock) {
      if (ec || acc != core->acceptor)
        return; // closed
      core->conns.remove_if([](const std::weak_ptr<server_conn>& x) {
        return x.expired();
      });
      beast::error_code ignored;
      if (core->accepted >= core->limits.max_connections) {
        sock.close(ignored);
      } else {
        sock.set_option(tcp::no_delay{true}, ignored);
        auto c = std::make_shared<server_conn>(core, std::move(sock));
        core->conns.emplace_back(c);
        c->read_next();
      }
      accept_next(core);
    });
}

class http_io_impl final : public ws_io {
public:
  explicit http_io_impl(ws_limits limits)
    : core_(std::make_shared<io_core>(limits)),
      work_(net::make_work_guard(core_->ioc)) {
    thread_ = std::thread{[core = core_] {
      run_io(core->ioc);
    }};
  }

  ~http_io_impl() override {
    shutdown();
  }

  caf::expected<uint16_t> listen(const std::string& host, uint16_t port,
                                 ws_accept_handler f) override {
    auto opened = open_acceptor(core_->ioc, host, port);
    if (!opened)
      return std::move(opened.error());
    auto acc = std::move(*opened);
    beast::error_code ec;
    auto bound = acc->local_endpoint(ec).port();
    auto handler = std::make_shared<ws_accept_handler>(std::move(f));
    net::post(core_->ioc, [core = core_, acc, handler] {
      core->acceptor = acc;
      core->on_accept = handler;
      accept_next(core);
    });
    return bound;
  }

  void stop_listening() override {
    if (core_->stopped)
      return;
    net::post(core_->ioc, [core = core_] {
      close_acceptor(*core);
      core->on_accept = nullptr;
    });
  }

  ws_connection_ptr connect(const std::string& host, uint16_t port,
                            caf::actor owner) override {
    auto s = std::make_shared<client_session>(core_, host, port);
    if (core_->stopped) {
      caf::anon_send(owner, ws_closed_atom::value,
                     std::string{"transport stopped"});
      return s;
    }
    net::post(core_->ioc, [core = core_, s, owner]() mutable {
      core->clients.remove_if([](const std::weak_ptr<client_session>& x) {
        return x.expired();
      });
      core->clients.emplace_back(s);
      s->start(std::move(owner));
    });
    return s;
  }

  void shutdown() override {
    if (core_->stopped.exchange(true))
      return;
    net::post(core_->ioc, [core = core_] {
      close_acceptor(*core);
      core->on_accept = nullptr;
      auto sessions = std::move(core->sessions);
      for (auto& kvp : sessions)
        kvp.second->fail("transport stopped");
      for (auto& weak : core->clients)
        if (auto s = weak.lock())
          s->fail("transport stopped");
      core->clients.clear();
      for (auto& weak : core->conns)
        if (auto c = weak.lock())
          c->shut();
      core->conns.clear();
    });
    work_.reset();
    // See ws_io.cpp: the last owner may let go on the I/O thread itself.
    if (std::this_thread::get_id() == thread_.get_id())
      thread_.detach();
    else if (thread_.joinable())
      thread_.join();
  }

private:
  std::shared_ptr<io_core> core_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
};

} // namespace

std::shared_ptr<ws_io> make_http_io(ws_limits limits) {
  return std::make_shared<http_io_impl>(limits);
}

} // namespace caf_cluster::internal
