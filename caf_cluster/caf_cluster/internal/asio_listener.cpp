#include "caf_cluster/internal/asio_listener.hpp"

#include <exception>

#include "caf_cluster/errc.hpp"

namespace caf_cluster::internal {

namespace net = boost::asio;
using tcp = net::ip::tcp;

caf::expected<std::shared_ptr<tcp::acceptor>>
open_acceptor(net::io_context& ioc, const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  tcp::resolver resolver{ioc};
  auto rs = resolver.resolve(host, std::to_string(port), tcp::resolver::passive,
                             ec);
  if (ec || rs.empty())
    return caf::make_error(errc::runner_unavailable,
                           "cannot resolve " + host + ": " + ec.message());
  auto acc = std::make_shared<tcp::acceptor>(ioc);
  auto ep = rs.begin()->endpoint();
  acc->open(ep.protocol(), ec);
  if (!ec)
    acc->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acc->bind(ep, ec);
  if (!ec)
    acc->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return caf::make_error(errc::runner_unavailable, ec.message());
  return acc;
}

void run_io(net::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception&) {
      // Keep serving the other connections.
    }
  }
}

} // namespace caf_cluster::internal
