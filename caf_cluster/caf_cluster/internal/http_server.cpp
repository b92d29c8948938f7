// Sessions and their connections run on the one I/O thread, so they need no
// strand or lock: other threads reach a session only through
// `post_write` and `post_close` (io_thread.hpp), which post to it.
#include "caf_cluster/internal/http_server.hpp"

#include <utility>

#include <boost/asio/post.hpp>

#include "caf/send.hpp"

#include "caf_cluster/internal/frame_codec.hpp"

namespace caf_cluster::internal {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

using frame = std::vector<char>;

} // namespace

// -- http_server_session ------------------------------------------------------

http_server_session::http_server_session(std::shared_ptr<http_core> core,
                                         std::string id)
  : core_(std::move(core)), id_(std::move(id)), hold_(core_->ioc),
    idle_(core_->ioc) {
  // nop
}

void http_server_session::write(frame f) {
  post_write(*core_, shared_from_this(), std::move(f));
}

void http_server_session::close() {
  post_close(*core_, shared_from_this());
}

void http_server_session::enqueue(frame f) {
  if (done_)
    return;
  replies_.emplace_back(std::move(f));
  flush();
}

bool http_server_session::start(
  const std::shared_ptr<ws_accept_handler>& on_accept) {
  owner_ = (*on_accept)(shared_from_this());
  if (!owner_)
    return false;
  touch();
  return true;
}

void http_server_session::attach(
  const std::shared_ptr<http_server_conn>& conn) {
  touch();
  conns_.remove_if([](const std::weak_ptr<http_server_conn>& x) {
    return x.expired();
  });
  for (auto& x : conns_)
    if (x.lock() == conn)
      return;
  conns_.emplace_back(conn);
}

bool http_server_session::deliver(const std::string& body) {
  std::vector<frame> frames;
  if (!split_frames(body, frames))
    return false;
  if (done_ || !owner_)
    return true;
  for (auto& f : frames)
    caf::anon_send(owner_, ws_frame_atom::value, std::move(f));
  return true;
}

void http_server_session::poll(responder r) {
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
  hold_.expires_after(http_poll_hold);
  hold_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->parked_)
      std::exchange(self->parked_, nullptr)({});
  });
}

void http_server_session::flush() {
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

void http_server_session::touch() {
  idle_.expires_after(core_->limits.idle_timeout);
  idle_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec)
      self->fail("no request within the idle timeout");
  });
}

void http_server_session::fail(const std::string& why) {
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

// -- http_server_conn ---------------------------------------------------------

http_server_conn::http_server_conn(std::shared_ptr<http_core> core,
                                   tcp::socket sock)
  : core_(std::move(core)), stream_(std::move(sock)) {
  ++core_->accepted;
}

http_server_conn::~http_server_conn() {
  --core_->accepted;
}

void http_server_conn::read_next() {
  parser_.emplace();
  parser_->body_limit(core_->limits.max_frame_size + http_body_margin);
  parser_->header_limit(8 * 1024);
  // The first request is the handshake of sorts; later ones come at least
  // every http_poll_hold on the poll connection, and whenever there are sends.
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

void http_server_conn::respond(http::status status, std::string body,
                               bool keep) {
  auto res = std::make_shared<http::response<http::string_body>>(status, 11);
  res->keep_alive(keep);
  if (!body.empty())
    res->set(http::field::content_type, "application/octet-stream");
  res->body() = std::move(body);
  res->prepare_payload();
  stream_.expires_after(core_->limits.idle_timeout);
  http::async_write(stream_, *res,
                    [self = shared_from_this(), res, keep](beast::error_code ec,
                                                           size_t) {
                      if (ec || !keep)
                        self->shut();
                      else
                        self->read_next();
                    });
}

void http_server_conn::shut() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

void http_server_conn::handle(request_type req) {
  auto id = std::string{req[http_session_field]};
  if (req.method() != http::verb::post || id.empty() || id.size() > 64) {
    respond(http::status::bad_request, {}, false);
    return;
  }
  auto target = req.target();
  bool sending = target == http_send_target;
  if (!sending && target != http_poll_target) {
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
      auto status = body.empty() ? http::status::no_content : http::status::ok;
      self->respond(status, std::move(body), true);
    });
  }
}

std::shared_ptr<http_server_session>
http_server_conn::find_or_start(const std::string& id) {
  if (auto i = core_->sessions.find(id); i != core_->sessions.end())
    return i->second;
  if (!core_->on_accept)
    return nullptr;
  auto s = std::make_shared<http_server_session>(core_, id);
  if (!s->start(core_->on_accept))
    return nullptr;
  core_->sessions.emplace(id, s);
  return s;
}

} // namespace caf_cluster::internal
