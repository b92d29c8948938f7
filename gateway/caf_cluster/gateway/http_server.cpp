#include "caf_cluster/gateway/http_server.hpp"

#include <boost/asio/ip/address.hpp>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/gateway/internal/http_server_impl.hpp"
#include "caf_cluster/gateway/internal/tls_context.hpp"

namespace caf_cluster::gateway {

namespace asio = boost::asio;
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

void http_server::impl::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open())
      return;
    if (!ec) {
      if (open.load() >= options.max_connections) {
        error_code ignored;
        socket.close(ignored);
      } else {
        auto s = internal::make_session(self, std::move(socket));
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
  if (!options.tls_certificate_file.empty() || !options.tls_key_file.empty()) {
    auto tls = internal::make_tls_context(options.tls_certificate_file,
                                          options.tls_key_file);
    if (!tls)
      return std::move(tls.error());
    ptr->tls = std::move(*tls);
  }
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

bool http_server::tls() const noexcept {
  return impl_->tls != nullptr;
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
