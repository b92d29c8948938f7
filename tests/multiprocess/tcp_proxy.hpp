// A fault-injecting TCP proxy for the multi-process tests: it stands between
// two processes (a runner and its database, two runners) and can cut the link
// (every connection closed, new ones refused), heal it and delay it. One
// thread with poll(); bounded buffers; stopped in its destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace caf_cluster::multiprocess {

/// Forwards every connection accepted on `listen_host:port()` to
/// `target_host:target_port`, both ways, until cut or destroyed.
class tcp_proxy {
public:
  /// Listens on a free port of `listen_host`; throws std::runtime_error when
  /// it cannot.
  tcp_proxy(const std::string& listen_host, const std::string& target_host,
            uint16_t target_port);

  ~tcp_proxy();

  tcp_proxy(const tcp_proxy&) = delete;

  tcp_proxy& operator=(const tcp_proxy&) = delete;

  /// The port clients connect to.
  uint16_t port() const noexcept {
    return port_;
  }

  /// `listen_host:port()`.
  std::string address() const;

  /// Closes every connection and refuses new ones (accepted, then closed at
  /// once) until `heal`. Takes effect before it returns.
  void cut();

  /// Forwards new connections again.
  void heal();

  /// Holds every chunk of data for `latency` before forwarding it (0: none);
  /// affects data read from now on.
  void delay(std::chrono::milliseconds latency);

  /// Connections accepted so far (also the refused ones).
  int accepted() const noexcept {
    return accepted_;
  }

private:
  void run();

  // Blocks until the proxy thread has seen the latest command.
  void sync();

  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::string listen_host_;
  std::string target_host_;
  uint16_t target_port_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<int> accepted_{0};
  std::atomic<uint64_t> commands_{0};
  std::atomic<uint64_t> seen_{0};
  std::thread thread_;
};

} // namespace caf_cluster::multiprocess
