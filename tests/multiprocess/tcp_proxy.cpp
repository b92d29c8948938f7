#include "multiprocess/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <list>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace caf_cluster::multiprocess {

namespace {

using proxy_clock = std::chrono::steady_clock;

// Bounds: what one direction of a link buffers before the proxy stops
// reading from its source (back-pressure), and the links open at once.
constexpr size_t max_buffered = 4 * 1024 * 1024;
constexpr size_t max_links = 512;
constexpr size_t read_size = 64 * 1024;

sockaddr_in make_address(const std::string& host, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("tcp_proxy: not an IPv4 address: " + host);
  return addr;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

struct chunk {
  proxy_clock::time_point due;
  std::string data;
  size_t offset = 0;
};

// One direction of a link: bytes read from `from`, waiting to go to `to`.
struct direction {
  std::deque<chunk> queue;
  size_t bytes = 0;
  bool eof = false;

  bool has_due(proxy_clock::time_point now) const {
    return !queue.empty() && queue.front().due <= now;
  }
};

struct link {
  int client = -1;
  int server = -1;
  direction up;   // client -> server
  direction down; // server -> client
  bool dead = false;

  ~link() {
    if (client >= 0)
      ::close(client);
    if (server >= 0)
      ::close(server);
  }
};

// Reads what `from` holds into `dir`; false when the link is to be closed.
bool read_into(int from, direction& dir, int64_t delay_ms) {
  char buf[read_size];
  auto n = ::read(from, buf, sizeof(buf));
  if (n > 0) {
    dir.queue.push_back(chunk{proxy_clock::now()
                                + std::chrono::milliseconds{delay_ms},
                              std::string(buf, static_cast<size_t>(n))});
    dir.bytes += static_cast<size_t>(n);
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  dir.eof = true;
  return true;
}

// Writes the due chunks of `dir` to `to`; false on a write error.
bool write_from(int to, direction& dir) {
  auto now = proxy_clock::now();
  while (dir.has_due(now)) {
    auto& front = dir.queue.front();
    auto n = ::send(to, front.data.data() + front.offset,
                    front.data.size() - front.offset, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EINTR;
    front.offset += static_cast<size_t>(n);
    dir.bytes -= static_cast<size_t>(n);
    if (front.offset < front.data.size())
      return true;
    dir.queue.pop_front();
  }
  return true;
}

} // namespace

tcp_proxy::tcp_proxy(const std::string& listen_host,
                     const std::string& target_host, uint16_t target_port)
  : listen_host_(listen_host), target_host_(target_host),
    target_port_(target_port) {
  auto addr = make_address(listen_host, 0);
  make_address(target_host, target_port); // checks the target's syntax
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    throw std::runtime_error("tcp_proxy: socket: "
                             + std::string{std::strerror(errno)});
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || ::listen(listen_fd_, 128) != 0
      || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len)
           != 0
      || ::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    auto what = std::string{std::strerror(errno)};
    ::close(listen_fd_);
    throw std::runtime_error("tcp_proxy: listen on " + listen_host + ": "
                             + what);
  }
  set_nonblocking(listen_fd_);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread{[this] { run(); }};
}

tcp_proxy::~tcp_proxy() {
  stop_ = true;
  char x = 's';
  [[maybe_unused]] auto n = ::write(wake_[1], &x, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string tcp_proxy::address() const {
  return listen_host_ + ":" + std::to_string(port_);
}

void tcp_proxy::cut() {
  cut_ = true;
  sync();
}

void tcp_proxy::heal() {
  cut_ = false;
  sync();
}

void tcp_proxy::delay(std::chrono::milliseconds latency) {
  delay_ms_ = latency.count();
  sync();
}

void tcp_proxy::sync() {
  auto ticket = ++commands_;
  char x = 'c';
  [[maybe_unused]] auto n = ::write(wake_[1], &x, 1);
  // The proxy thread answers within one loop turn (its poll wakes up).
  auto deadline = proxy_clock::now() + std::chrono::seconds{5};
  while (seen_ < ticket) {
    if (proxy_clock::now() >= deadline)
      throw std::runtime_error("tcp_proxy " + address()
                               + ": the proxy thread stopped answering");
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
}

void tcp_proxy::run() {
  std::list<link> links;
  auto target = make_address(target_host_, target_port_);
  std::vector<pollfd> fds;
  std::vector<std::pair<link*, bool>> owners; // link, is-client side
  while (!stop_) {
    auto commands = commands_.load();
    if (cut_)
      links.clear();
    seen_ = commands;
    auto now = proxy_clock::now();
    fds.clear();
    owners.clear();
    fds.push_back(pollfd{wake_[0], POLLIN, 0});
    fds.push_back(pollfd{listen_fd_, POLLIN, 0});
    auto timeout_ms = 100;
    for (auto& l : links) {
      auto events = [&](direction& in, direction& out) {
        short ev = 0;
        if (!in.eof && in.bytes < max_buffered)
          ev |= POLLIN;
        if (out.has_due(now))
          ev |= POLLOUT;
        return ev;
      };
      fds.push_back(pollfd{l.client, events(l.up, l.down), 0});
      owners.emplace_back(&l, true);
      fds.push_back(pollfd{l.server, events(l.down, l.up), 0});
      owners.emplace_back(&l, false);
      for (auto* dir : {&l.up, &l.down})
        if (!dir->queue.empty() && dir->queue.front().due > now) {
          auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        dir->queue.front().due - now)
                        .count()
                      + 1;
          timeout_ms = std::min<int>(timeout_ms, static_cast<int>(left));
        }
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR)
      break;
    if (fds[0].revents & POLLIN) {
      char buf[64];
      while (::read(wake_[0], buf, sizeof(buf)) > 0)
        ; // drained; the commands are read at the top of the loop
    }
    if (fds[1].revents & POLLIN) {
      for (;;) {
        auto fd = ::accept4(listen_fd_, nullptr, nullptr,
                            SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
          break;
        ++accepted_;
        if (cut_ || links.size() >= max_links) {
          ::close(fd);
          continue;
        }
        // The target is on loopback: the connect completes or fails at once.
        auto server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (server < 0
            || ::connect(server, reinterpret_cast<const sockaddr*>(&target),
                         sizeof(target))
                 != 0) {
          if (server >= 0)
            ::close(server);
          ::close(fd);
          continue;
        }
        set_nonblocking(server);
        int one = 1;
        ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        auto& l = links.emplace_back();
        l.client = fd;
        l.server = server;
      }
    }
    auto delay_ms = delay_ms_.load();
    for (size_t i = 2; i < fds.size(); ++i) {
      auto [l, client_side] = owners[i - 2];
      auto revents = fds[i].revents;
      if (l->dead || revents == 0)
        continue;
      auto& in = client_side ? l->up : l->down;
      auto& out = client_side ? l->down : l->up;
      if (revents & (POLLIN | POLLHUP | POLLERR))
        read_into(fds[i].fd, in, delay_ms);
      if ((revents & POLLOUT) && !write_from(fds[i].fd, out))
        l->dead = true;
    }
    // A link ends when one side closed and what it sent was forwarded.
    for (auto& l : links)
      if ((l.up.eof && l.up.queue.empty()) || (l.down.eof && l.down.queue.empty()))
        l.dead = true;
    links.remove_if([](const link& l) { return l.dead; });
  }
}

} // namespace caf_cluster::multiprocess
