// The limits a runner puts on its port, shared by every connection of one
// transport: a cap on accepted connections and a deadline for each new
// connection's handshake. A thread of its own closes connections that miss
// their deadline, because a silent peer produces no event in CAF's
// multiplexer that could do it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include "caf/io/network/native_socket.hpp"

namespace caf_cluster::internal {

/// Limits on the inbound side of a runner's port.
struct gate_limits {
  /// Largest BASP payload a peer may announce, in bytes.
  uint32_t max_message_size = 4 * 1024 * 1024;
  /// Accepted connections open at once.
  size_t max_connections = 256;
  /// Time from accept (or connect) to the peer's complete handshake frame.
  std::chrono::nanoseconds handshake_timeout = std::chrono::seconds{5};
};

/// Connection counting and handshake deadlines of one transport.
class connection_gate {
public:
  /// Identifies a connection waiting for its handshake.
  using ticket = uint64_t;

  /// Enforces `limits`.
  explicit connection_gate(gate_limits limits);

  /// Stops the deadline thread.
  ~connection_gate();

  connection_gate(const connection_gate&) = delete;
  connection_gate& operator=(const connection_gate&) = delete;

  /// The enforced limits.
  const gate_limits& limits() const noexcept {
    return limits_;
  }

  /// Counts one more accepted connection; returns false (counting nothing)
  /// when `max_connections` are open already.
  bool admit();

  /// Uncounts a connection `admit` counted.
  void release();

  /// Accepted connections open now.
  size_t open_connections() const;

  /// Connections closed because their handshake was late, so far.
  uint64_t timed_out() const;

  /// Starts the handshake deadline of `fd`; the socket is shut down when it
  /// passes before `settle`.
  /// @pre `fd` stays open until `settle` returns.
  ticket watch(caf::io::network::native_socket fd);

  /// Ends the deadline of `t` (handshake done, or the connection closing);
  /// idempotent.
  void settle(ticket t);

private:
  struct pending {
    caf::io::network::native_socket fd;
    std::chrono::steady_clock::time_point deadline;
  };

  void run();

  gate_limits limits_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  size_t open_ = 0;
  uint64_t timed_out_ = 0;
  ticket next_ = 1;
  std::map<ticket, pending> pending_;
  bool stop_ = false;
  std::thread sweeper_;
};

} // namespace caf_cluster::internal
