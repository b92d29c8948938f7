#include "multiprocess/raw_peer.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace caf_cluster::multiprocess {

raw_connection::raw_connection(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    auto code = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect 127.0.0.1:" + std::to_string(port) + ": "
                             + std::strerror(code));
  }
}

raw_connection::~raw_connection() {
  close();
}

raw_connection::raw_connection(raw_connection&& other) noexcept
  : fd_(other.fd_), received_(other.received_) {
  other.fd_ = -1;
}

void raw_connection::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool raw_connection::send(const std::vector<char>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent,
                    MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool raw_connection::await_closed(clock_type::time_point deadline) {
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - clock_type::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      return true;
    if (n > 0)
      received_ += static_cast<size_t>(n);
  }
}

std::vector<char> basp_header(uint8_t operation, uint32_t payload_len) {
  std::vector<char> result(32, '\0');
  result[0] = static_cast<char>(operation);
  for (int i = 0; i < 4; ++i)
    result[4 + i] = static_cast<char>((payload_len >> (8 * (3 - i))) & 0xff);
  return result;
}

double rss_mib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

int close_wait_count(uint16_t port) {
  // Columns: sl local_address rem_address st ...; addresses are hex
  // "IP:PORT", state 08 is CLOSE-WAIT.
  std::ifstream in{"/proc/net/tcp"};
  std::string line;
  std::getline(in, line);
  int result = 0;
  while (std::getline(in, line)) {
    std::istringstream row{line};
    std::string slot, local, remote, state;
    row >> slot >> local >> remote >> state;
    auto colon = local.find(':');
    if (colon == std::string::npos)
      continue;
    auto local_port = std::stoul(local.substr(colon + 1), nullptr, 16);
    if (local_port == port && state == "08")
      ++result;
  }
  return result;
}

void make_test_ca(const std::string& dir) {
  auto res = run("/bin/bash", {CAF_CLUSTER_MAKE_TEST_CA, dir}, 60s);
  if (!res.status || !res.status->exited_with(0))
    throw std::runtime_error("make-test-ca.sh failed: " + res.out + res.err);
}

std::vector<std::string> tls_flags(const std::string& dir,
                                   const std::string& name,
                                   const std::string& ca) {
  return {"--cluster.tls.ca-file=" + dir + "/" + ca + ".pem",
          "--cluster.tls.cert-file=" + dir + "/" + name + ".pem",
          "--cluster.tls.key-file=" + dir + "/" + name + ".key"};
}

} // namespace caf_cluster::multiprocess
