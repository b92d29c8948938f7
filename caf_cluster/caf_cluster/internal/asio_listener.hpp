// What the WebSocket and HTTP transports' I/O share: opening a listening
// socket and running an io_context whose handlers may throw. Included only by
// their sources, so Asio stays out of every other translation unit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "caf/expected.hpp"

namespace caf_cluster::internal {

/// Resolves `host` and listens on `port` (0: any free one) with
/// SO_REUSEADDR, so that a runner restarted after a crash gets its port back
/// while the dead process's connections linger in TIME-WAIT.
/// @returns the acceptor, or `errc::runner_unavailable` with the reason.
caf::expected<std::shared_ptr<boost::asio::ip::tcp::acceptor>>
open_acceptor(boost::asio::io_context& ioc, const std::string& host,
              uint16_t port);

/// Runs `ioc` until it has no more work. A handler's exception (Beast throws
/// on misuse, e.g. a bad response) costs at most its connection, not every
/// connection of the runner: the loop goes on.
void run_io(boost::asio::io_context& ioc);

} // namespace caf_cluster::internal
