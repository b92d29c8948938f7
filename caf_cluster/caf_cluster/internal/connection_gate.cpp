#include "caf_cluster/internal/connection_gate.hpp"

#include <sys/socket.h>

namespace caf_cluster::internal {

connection_gate::connection_gate(gate_limits limits) : limits_(limits) {
  sweeper_ = std::thread{[this] {
    run();
  }};
}

connection_gate::~connection_gate() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
  }
  cv_.notify_all();
  sweeper_.join();
}

bool connection_gate::admit() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (open_ >= limits_.max_connections)
    return false;
  ++open_;
  return true;
}

void connection_gate::release() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (open_ > 0)
    --open_;
}

size_t connection_gate::open_connections() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return open_;
}

uint64_t connection_gate::timed_out() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return timed_out_;
}

connection_gate::ticket
connection_gate::watch(caf::io::network::native_socket fd) {
  auto deadline = std::chrono::steady_clock::now() + limits_.handshake_timeout;
  ticket t;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    t = next_++;
    pending_.emplace(t, pending{fd, deadline});
  }
  cv_.notify_all();
  return t;
}

void connection_gate::settle(ticket t) {
  std::lock_guard<std::mutex> guard{mtx_};
  pending_.erase(t);
}

void connection_gate::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    auto next = std::chrono::steady_clock::time_point::max();
    for (auto i = pending_.begin(); i != pending_.end();) {
      if (i->second.deadline <= now) {
        // Safe under the lock: the connection's owner settles its ticket
        // before it closes the socket, so the descriptor is still ours. The
        // multiplexer then sees the end of the stream and closes it.
        ::shutdown(i->second.fd, SHUT_RDWR);
        ++timed_out_;
        i = pending_.erase(i);
      } else {
        next = std::min(next, i->second.deadline);
        ++i;
      }
    }
    if (next == std::chrono::steady_clock::time_point::max())
      cv_.wait(guard);
    else
      cv_.wait_until(guard, next);
  }
}

} // namespace caf_cluster::internal
