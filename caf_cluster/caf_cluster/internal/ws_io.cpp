// Everything here runs on the one I/O thread, so sessions need no strand or
// lock: other threads reach a session only through `net::post`.
#include "caf_cluster/internal/ws_io.hpp"

#include <deque>
#include <list>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/io_thread.hpp"

namespace caf_cluster::internal {

ws_connection::~ws_connection() {
  // nop
}

ws_io::~ws_io() {
  // nop
}

namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// The target path of the upgrade request; the server does not check it (a
// frame that is not a router's message closes the connection anyway).
constexpr const char* ws_target = "/caf-cluster";

// Bound on a TCP connect; refused loopback ports fail at once, this only
// matters for peers that accept nothing.
constexpr auto connect_timeout = std::chrono::seconds{2};

class session final : public ws_connection,
                      public std::enable_shared_from_this<session> {
public:
  session(std::shared_ptr<io_core> core, tcp::socket sock, bool server);

  ~session() override;

  void write(std::vector<char> frame) override;

  void close() override;

  // -- on the I/O thread ------------------------------------------------------

  void start_server(std::shared_ptr<ws_accept_handler> on_accept);

  void start_client(std::string host, uint16_t port, caf::actor owner);

  void enqueue(std::vector<char> frame);

  void fail(const std::string& why);

private:
  void configure();

  void opened();

  void read_next();

  void write_next();

  std::shared_ptr<io_core> core_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer in_;
  std::deque<std::vector<char>> out_;
  tcp::resolver resolver_;
  caf::actor owner_;
  bool server_;
  bool open_ = false;
  bool writing_ = false;
  bool done_ = false;
};

// The sessions of one I/O thread, accepted and opened alike.
struct ws_core final : io_core {
  using io_core::io_core;

  void forget_closed() override;

  void admit(tcp::socket sock) override;

  void stop_all() override;

  std::list<std::weak_ptr<session>> live; // for shutdown
};

session::session(std::shared_ptr<io_core> core, tcp::socket sock, bool server)
  : core_(std::move(core)), ws_(std::move(sock)), resolver_(core_->ioc),
    server_(server) {
  if (server_)
    ++core_->accepted;
}

session::~session() {
  if (server_)
    --core_->accepted;
}

void session::write(std::vector<char> frame) {
  post_write(*core_, shared_from_this(), std::move(frame));
}

void session::close() {
  post_close(*core_, shared_from_this());
}

void session::enqueue(std::vector<char> frame) {
  if (done_)
    return;
  out_.emplace_back(std::move(frame));
  write_next();
}

void session::configure() {
  websocket::stream_base::timeout opts;
  opts.handshake_timeout = core_->limits.handshake_timeout;
  opts.idle_timeout = core_->limits.idle_timeout;
  opts.keep_alive_pings = true;
  ws_.set_option(opts);
  ws_.read_message_max(core_->limits.max_frame_size);
  ws_.binary(true);
  // Frames are already compact binary; no permessage-deflate.
}

void session::start_server(std::shared_ptr<ws_accept_handler> on_accept) {
  configure();
  ws_.async_accept(
    [self = shared_from_this(), on_accept](beast::error_code ec) {
      if (self->done_)
        return;
      if (ec) {
        self->fail("handshake: " + ec.message());
        return;
      }
      self->owner_ = (*on_accept)(self);
      if (!self->owner_) {
        self->fail("no owner");
        return;
      }
      self->opened();
    });
}

void session::start_client(std::string host, uint16_t port, caf::actor owner) {
  owner_ = std::move(owner);
  auto self = shared_from_this();
  resolver_.async_resolve(
    host, std::to_string(port),
    [self, host, port](beast::error_code ec, tcp::resolver::results_type rs) {
      if (self->done_)
        return;
      if (ec) {
        self->fail("cannot resolve " + host + ": " + ec.message());
        return;
      }
      auto& tcp_layer = beast::get_lowest_layer(self->ws_);
      tcp_layer.expires_after(connect_timeout);
      tcp_layer.async_connect(
        rs, [self, host, port](beast::error_code ec, const tcp::endpoint&) {
          if (self->done_)
            return;
          if (ec) {
            self->fail("cannot connect: " + ec.message());
            return;
          }
          // From here on the WebSocket timeouts apply.
          beast::get_lowest_layer(self->ws_).expires_never();
          beast::get_lowest_layer(self->ws_).socket().set_option(
            tcp::no_delay{true});
          self->configure();
          self->ws_.async_handshake(
            host + ":" + std::to_string(port), ws_target,
            [self](beast::error_code ec) {
              if (self->done_)
                return;
              if (ec) {
                self->fail("handshake: " + ec.message());
                return;
              }
              caf::anon_send(self->owner_, ws_open_atom::value);
              self->opened();
            });
        });
    });
}

void session::opened() {
  open_ = true;
  read_next();
  write_next();
}

void session::read_next() {
  ws_.async_read(
    in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (self->done_)
        return;
      if (ec) {
        self->fail(ec == websocket::error::closed ? "closed by peer"
                                                  : ec.message());
        return;
      }
      if (!self->ws_.got_binary()) {
        self->fail("text frame");
        return;
      }
      auto data = self->in_.cdata();
      std::vector<char> frame(static_cast<const char*>(data.data()),
                              static_cast<const char*>(data.data())
                                + data.size());
      self->in_.consume(self->in_.size());
      caf::anon_send(self->owner_, ws_frame_atom::value, std::move(frame));
      self->read_next();
    });
}

void session::write_next() {
  if (!open_ || writing_ || out_.empty() || done_)
    return;
  writing_ = true;
  ws_.async_write(net::buffer(out_.front()),
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    self->writing_ = false;
                    if (self->done_)
                      return;
                    if (ec) {
                      self->fail("write: " + ec.message());
                      return;
                    }
                    self->out_.pop_front();
                    self->write_next();
                  });
}

void session::fail(const std::string& why) {
  if (done_)
    return;
  done_ = true;
  out_.clear();
  beast::error_code ignored;
  resolver_.cancel();
  auto& sock = beast::get_lowest_layer(ws_).socket();
  sock.shutdown(tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
  if (owner_) {
    caf::anon_send(owner_, ws_closed_atom::value, why);
    // The owner holds this session; dropping the handle breaks the cycle.
    owner_ = nullptr;
  }
}

void ws_core::forget_closed() {
  live.remove_if([](const std::weak_ptr<session>& x) {
    return x.expired();
  });
}

void ws_core::admit(tcp::socket sock) {
  auto s = std::make_shared<session>(shared_from_this(), std::move(sock), true);
  live.emplace_back(s);
  s->start_server(on_accept);
}

void ws_core::stop_all() {
  for (auto& weak : live)
    if (auto s = weak.lock())
      s->fail("transport stopped");
  live.clear();
}

class ws_io_impl final : public io_thread {
public:
  explicit ws_io_impl(std::shared_ptr<ws_core> core)
    : io_thread(core), core_(std::move(core)) {
    // nop
  }

  ws_connection_ptr connect(const std::string& host, uint16_t port,
                            caf::actor owner) override {
    auto s = std::make_shared<session>(core_, tcp::socket{core_->ioc}, false);
    if (core_->stopped) {
      caf::anon_send(owner, ws_closed_atom::value,
                     std::string{"transport stopped"});
      return s;
    }
    net::post(core_->ioc, [core = core_, s, host, port, owner]() mutable {
      core->live.emplace_back(s);
      s->start_client(host, port, std::move(owner));
    });
    return s;
  }

private:
  std::shared_ptr<ws_core> core_;
};

} // namespace

std::shared_ptr<ws_io> make_ws_io(ws_limits limits) {
  return std::make_shared<ws_io_impl>(std::make_shared<ws_core>(limits));
}

} // namespace caf_cluster::internal
