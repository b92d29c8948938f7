// Both connections of a session run on the one I/O thread, so the session
// needs no strand or lock: other threads reach it only through `net::post`.
#include "caf_cluster/internal/http_client.hpp"

#include <random>
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

constexpr auto connect_timeout = std::chrono::seconds{2};

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

} // namespace

http_client_session::http_client_session(std::shared_ptr<http_core> core,
                                         std::string host, uint16_t port)
  : core_(std::move(core)), host_(std::move(host)), port_(port),
    id_(random_session_id()), resolver_(core_->ioc), send_stream_(core_->ioc),
    poll_stream_(core_->ioc) {
  // nop
}

void http_client_session::write(frame f) {
  post_write(*core_, shared_from_this(), std::move(f));
}

void http_client_session::close() {
  post_close(*core_, shared_from_this());
}

void http_client_session::enqueue(frame f) {
  if (done_)
    return;
  out_.emplace_back(std::move(f));
  send_next();
}

void http_client_session::start(caf::actor owner) {
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

void http_client_session::connect(beast::tcp_stream& stream,
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
http_client_session::request(const char* target, std::string body) const {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, host_ + ":" + std::to_string(port_));
  req.set(http_session_field, id_);
  req.keep_alive(true);
  if (!body.empty())
    req.set(http::field::content_type, "application/octet-stream");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

void http_client_session::send_next() {
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
  send_req_ = request(http_send_target, std::move(body));
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

void http_client_session::poll_next() {
  if (done_)
    return;
  poll_req_ = request(http_poll_target, {});
  // The server holds a poll up to http_poll_hold; a frozen server is noticed
  // after that plus the idle timeout.
  poll_stream_.expires_after(http_poll_hold + core_->limits.idle_timeout);
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
                                  + http_body_margin);
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

void http_client_session::fail(const std::string& why) {
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

} // namespace caf_cluster::internal
