// A hostile peer without CAF: raw TCP connections to a runner's port that
// send whatever bytes a test wants, and the runner's footprint as the kernel
// sees it (resident memory, sockets left in CLOSE-WAIT).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include "multiprocess/process.hpp"

namespace caf_cluster::multiprocess {

/// One TCP connection to 127.0.0.1, closed at scope exit.
class raw_connection {
public:
  /// Connects to 127.0.0.1:`port`; throws std::runtime_error on failure.
  explicit raw_connection(uint16_t port);

  ~raw_connection();

  raw_connection(raw_connection&& other) noexcept;

  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  raw_connection& operator=(raw_connection&&) = delete;

  /// Sends all of `bytes`; false when the peer closed meanwhile.
  bool send(const std::vector<char>& bytes);

  /// Reads (and drops) what the peer sends until it closes the connection
  /// or `deadline` passes; returns whether it closed.
  bool await_closed(clock_type::time_point deadline);

  /// Bytes received so far.
  size_t received() const noexcept {
    return received_;
  }

  /// Closes this end now.
  void close();

private:
  int fd_ = -1;
  size_t received_ = 0;
};

/// A BASP header as CAF 0.17 writes it (32 bytes, network byte order).
std::vector<char> basp_header(uint8_t operation, uint32_t payload_len);

/// Resident memory of process `pid` in MiB (VmRSS), or -1 when unreadable.
double rss_mib(pid_t pid);

/// Sockets of local port `port` in state CLOSE-WAIT (the peer closed, this
/// side did not), from /proc/net/tcp.
int close_wait_count(uint16_t port);

/// Runs scripts/make-test-ca.sh into `dir`; throws std::runtime_error with
/// its output when it fails.
void make_test_ca(const std::string& dir);

/// The CAF flags that give a node the certificate `name` (runner, client,
/// other) of directory `dir` and trust `ca` (ca or other-ca).
std::vector<std::string> tls_flags(const std::string& dir,
                                   const std::string& name,
                                   const std::string& ca = "ca");

} // namespace caf_cluster::multiprocess
