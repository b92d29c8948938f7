// A blocking loopback client for the HTTP server tests: requests go out as
// raw bytes, so that malformed, oversized and partial ones can be sent, and
// every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

namespace caf_cluster::test {

/// A blocking loopback client with a bound on every wait (5 s by default).
class raw_client {
public:
  /// Connects to 127.0.0.1:`port`; `wait_ms` bounds every later wait.
  explicit raw_client(uint16_t port, int wait_ms = 5000) : wait_ms_(wait_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr),
                           sizeof(addr))
                 == 0;
  }

  ~raw_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  /// Whether the connect succeeded.
  bool connected() const {
    return connected_;
  }

  /// Sends all of `bytes`, or what the peer takes before it closes.
  void send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + done, bytes.size() - done,
                      MSG_NOSIGNAL);
      if (n <= 0)
        return;
      done += static_cast<size_t>(n);
    }
  }

  /// One response (headers and Content-Length body), or what came before
  /// the peer closed or the wait ran out.
  std::string response() {
    while (true) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        auto cl = lower(buffer_.substr(0, end)).find("content-length:");
        if (cl != std::string::npos)
          length = std::stoul(buffer_.substr(cl + 15));
        if (buffer_.size() >= end + 4 + length) {
          auto result = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return result;
        }
      }
      if (!fill())
        return std::exchange(buffer_, {});
    }
  }

  /// Whether the server closed the connection (read returns 0, or the
  /// connection is reset, before the wait runs out).
  bool closed_by_peer() {
    while (fill()) {
    }
    return eof_;
  }

  /// Everything the peer sends until it closes or the wait runs out,
  /// including what response() left unread.
  std::string rest() {
    while (fill()) {
    }
    return std::exchange(buffer_, {});
  }

  /// Half-closes the connection: the peer reads the end of the stream but
  /// can still answer.
  void shut_write() {
    ::shutdown(fd_, SHUT_WR);
  }

  /// Drops the connection with a reset, as a client that crashed would.
  void abort() {
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::close(fd_);
    fd_ = -1;
  }

  /// Whether the connection ended with a reset rather than an orderly
  /// close (what the server's kernel does when it closes with unread input).
  bool reset_by_peer() const {
    return reset_;
  }

private:
  static std::string lower(std::string text) {
    for (auto& c : text)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, wait_ms_) <= 0)
      return false;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;
      reset_ = n < 0 && errno == ECONNRESET;
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int wait_ms_;
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  bool reset_ = false;
  std::string buffer_;
};

} // namespace caf_cluster::test
