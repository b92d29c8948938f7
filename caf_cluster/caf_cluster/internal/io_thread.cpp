// The listener's state lives in `io_core`, not in `io_thread`: the I/O
// thread may outlive the object that started it (see shutdown).
#include "caf_cluster/internal/io_thread.hpp"

#include <boost/asio/post.hpp>

#include "caf_cluster/internal/asio_listener.hpp"

namespace caf_cluster::internal {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

void close_acceptor(io_core& core) {
  if (core.acceptor) {
    boost::system::error_code ignored;
    core.acceptor->close(ignored);
    core.acceptor = nullptr;
  }
}

void accept_next(const std::shared_ptr<io_core>& core) {
  if (!core->acceptor)
    return;
  core->acceptor->async_accept(
    [core, acc = core->acceptor](boost::system::error_code ec,
                                 tcp::socket sock) {
      if (ec || acc != core->acceptor)
        return; // closed
      core->forget_closed();
      boost::system::error_code ignored;
      if (core->accepted >= core->limits.max_connections) {
        sock.close(ignored);
      } else {
        sock.set_option(tcp::no_delay{true}, ignored);
        core->admit(std::move(sock));
      }
      accept_next(core);
    });
}

} // namespace

io_core::io_core(ws_limits lim) : limits(lim) {
  // nop
}

io_core::~io_core() {
  // nop
}

io_thread::io_thread(std::shared_ptr<io_core> core)
  : core_(std::move(core)), work_(net::make_work_guard(core_->ioc)) {
  thread_ = std::thread{[core = core_] {
    run_io(core->ioc);
  }};
}

io_thread::~io_thread() {
  shutdown();
}

caf::expected<uint16_t> io_thread::listen(const std::string& host,
                                          uint16_t port, ws_accept_handler f) {
  auto opened = open_acceptor(core_->ioc, host, port);
  if (!opened)
    return std::move(opened.error());
  auto acc = std::move(*opened);
  boost::system::error_code ec;
  auto bound = acc->local_endpoint(ec).port();
  auto handler = std::make_shared<ws_accept_handler>(std::move(f));
  net::post(core_->ioc, [core = core_, acc, handler] {
    core->acceptor = acc;
    core->on_accept = handler;
    accept_next(core);
  });
  return bound;
}

void io_thread::stop_listening() {
  if (core_->stopped)
    return;
  net::post(core_->ioc, [core = core_] {
    close_acceptor(*core);
    core->on_accept = nullptr;
  });
}

void io_thread::shutdown() {
  if (core_->stopped.exchange(true))
    return;
  net::post(core_->ioc, [core = core_] {
    close_acceptor(*core);
    core->on_accept = nullptr;
    core->stop_all();
    // Closing the connections queued their operations' completions; waiting
    // for every handler instead would also wait for a WebSocket's keep-alive
    // timer, up to half the idle timeout (7.5 s at every client's exit).
    core->ioc.stop();
  });
  work_.reset();
  // The last owner may let go on the I/O thread itself (an actor it held
  // was the last to hold the router, which holds this); the thread then
  // finishes on its own, keeping `core_` alive.
  if (std::this_thread::get_id() == thread_.get_id()) {
    thread_.detach();
  } else if (thread_.joinable()) {
    thread_.join();
    // Runs the queued completions (each sees its connection closed), so
    // that none keeps a connection, and with it `core_`, alive; a pending
    // timer holds its stream only weakly and is dropped with the context.
    core_->ioc.restart();
    core_->ioc.poll();
  }
}

} // namespace caf_cluster::internal
