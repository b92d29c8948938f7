#include "caf_cluster/internal/gated_middleman.hpp"

#include <exception>
#include <string>
#include <utility>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/io/basp_broker.hpp"
#include "caf/io/middleman.hpp"
#include "caf/io/middleman_actor_impl.hpp"
#include "caf/io/network/default_multiplexer.hpp"
#include "caf/io/network/doorman_impl.hpp"
#include "caf/io/network/interfaces.hpp"
#include "caf/io/network/stream_impl.hpp"
#include "caf/io/scribe.hpp"
#include "caf/openssl/session.hpp"
#include "caf/policy/tcp.hpp"

#include "caf_cluster/internal/frame_filter.hpp"

namespace caf_cluster::internal {

namespace {

using caf::io::network::default_multiplexer;
using caf::io::network::native_socket;
using caf::io::network::rw_state;

// BASP operation codes of the handshake each side owes the other.
constexpr uint8_t server_handshake = 0x00;
constexpr uint8_t client_handshake = 0x01;

// The read/write policy of one gated connection: plain TCP or an OpenSSL
// session underneath, the frame filter on top of every read. A member of the
// stream, so it is destroyed before the stream's base closes the socket:
// settling the handshake deadline here keeps the gate's descriptor valid.
class gated_policy {
public:
  gated_policy(std::shared_ptr<connection_gate> gate,
               caf::openssl::session_ptr tls, bool accepted, native_socket fd)
    : gate_(std::move(gate)), tls_(std::move(tls)), accepted_(accepted),
      filter_(gate_->limits().max_message_size,
              accepted ? client_handshake : server_handshake),
      ticket_(gate_->watch(fd)) {
    // nop
  }

  gated_policy(const gated_policy&) = delete;
  gated_policy& operator=(const gated_policy&) = delete;

  ~gated_policy() {
    gate_->settle(ticket_);
    if (accepted_)
      gate_->release();
  }

  rw_state read_some(size_t& result, native_socket fd, void* buf, size_t len) {
    auto res = tls_ ? tls_->read_some(result, fd, buf, len)
                    : caf::policy::tcp::read_some(result, fd, buf, len);
    if (res != rw_state::success || result == 0)
      return res;
    if (filter_.feed(buf, result) != frame_filter::verdict::ok) {
      result = 0;
      return rw_state::failure;
    }
    if (!settled_ && filter_.handshake_done()) {
      gate_->settle(ticket_);
      settled_ = true;
    }
    return res;
  }

  rw_state write_some(size_t& result, native_socket fd, const void* buf,
                      size_t len) {
    return tls_ ? tls_->write_some(result, fd, buf, len)
                : caf::policy::tcp::write_some(result, fd, buf, len);
  }

  bool must_read_more(native_socket fd, size_t threshold) {
    return tls_ && tls_->must_read_more(fd, threshold);
  }

private:
  std::shared_ptr<connection_gate> gate_;
  caf::openssl::session_ptr tls_;
  bool accepted_;
  bool settled_ = false;
  frame_filter filter_;
  connection_gate::ticket ticket_;
};

// CAF's TCP scribe with the gated policy in its stream.
class gated_scribe : public caf::io::scribe {
public:
  gated_scribe(default_multiplexer& mpx, native_socket fd,
               std::shared_ptr<connection_gate> gate,
               caf::openssl::session_ptr tls, bool accepted)
    : scribe(caf::io::network::conn_hdl_from_socket(fd)), tls_(tls != nullptr),
      stream_(mpx, fd, std::move(gate), std::move(tls), accepted, fd) {
    // nop
  }

  void configure_read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (!launched_) {
      launched_ = true;
      stream_.start(this);
      // Lets OpenSSL finish SSL_connect or SSL_accept before any payload.
      if (tls_)
        stream_.force_empty_write(this);
    }
  }

  void ack_writes(bool enable) override {
    stream_.ack_writes(enable);
  }

  std::vector<char>& wr_buf() override {
    return stream_.wr_buf();
  }

  std::vector<char>& rd_buf() override {
    return stream_.rd_buf();
  }

  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }

  void flush() override {
    stream_.flush(this);
  }

  std::string addr() const override {
    auto x = caf::io::network::remote_addr_of_fd(stream_.fd());
    return x ? *x : std::string{};
  }

  uint16_t port() const override {
    auto x = caf::io::network::remote_port_of_fd(stream_.fd());
    return x ? *x : 0;
  }

  void add_to_loop() override {
    stream_.activate(this);
  }

  void remove_from_loop() override {
    stream_.passivate();
  }

private:
  bool tls_;
  bool launched_ = false;
  caf::io::network::stream_impl<gated_policy> stream_;
};

// Makes the gated scribe of connected or accepted socket `fd`; closes `fd`
// and returns null when no TLS session can start on it.
caf::intrusive_ptr<gated_scribe> make_gated_scribe(
  caf::actor_system& sys, default_multiplexer& mpx, native_socket fd,
  const std::shared_ptr<connection_gate>& gate, bool tls, bool accepted) {
  caf::openssl::session_ptr session;
  if (tls) {
    // OpenSSL's handshake steps must not block the multiplexer.
    caf::io::network::nonblocking(fd, true);
    // CAF reads the certificate files again for every session and throws
    // when that fails (e.g. while they are being replaced): on the
    // multiplexer's thread an escaping exception would end the process.
    try {
      session = caf::openssl::make_session(sys, fd, accepted);
    } catch (const std::exception&) {
      session = nullptr;
    }
    if (!session) {
      caf::io::network::close_socket(fd);
      return nullptr;
    }
  }
  return caf::make_counted<gated_scribe>(mpx, fd, gate, std::move(session),
                                         accepted);
}

// CAF's doorman, admitting connections through the gate.
class gated_doorman : public caf::io::network::doorman_impl {
public:
  gated_doorman(caf::actor_system& sys, default_multiplexer& mpx,
                native_socket fd, std::shared_ptr<connection_gate> gate,
                bool tls)
    : doorman_impl(mpx, fd), sys_(sys), gate_(std::move(gate)), tls_(tls) {
    // nop
  }

  bool new_connection() override {
    auto fd = acceptor_.accepted_socket();
    if (detached()) {
      // CAF's own doorman leaks the socket here.
      caf::io::network::close_socket(fd);
      return false;
    }
    // Over the cap: closed at once, before any byte is read or allocated.
    if (!gate_->admit()) {
      caf::io::network::close_socket(fd);
      return false;
    }
    auto& mpx = acceptor_.backend();
    auto scribe = make_gated_scribe(sys_, mpx, fd, gate_, tls_, true);
    if (!scribe) {
      gate_->release();
      return false;
    }
    auto hdl = scribe->hdl();
    parent()->add_scribe(std::move(scribe));
    return doorman::new_connection(&mpx, hdl);
  }

private:
  caf::actor_system& sys_;
  std::shared_ptr<connection_gate> gate_;
  bool tls_;
};

class gated_middleman : public caf::io::middleman_actor_impl {
public:
  gated_middleman(caf::actor_config& cfg, caf::actor broker,
                  std::shared_ptr<connection_gate> gate, bool tls)
    : middleman_actor_impl(cfg, std::move(broker)), gate_(std::move(gate)),
      tls_(tls) {
    // nop
  }

  const char* name() const override {
    return "caf_cluster.gated_middleman";
  }

protected:
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host,
                                             uint16_t port) override {
    auto fd = caf::io::network::new_tcp_connection(host, port);
    if (!fd)
      return std::move(fd.error());
    auto scribe = make_gated_scribe(system(), mpx(), *fd, gate_, tls_, false);
    if (!scribe)
      return caf::make_error(caf::sec::cannot_connect_to_node,
                             "cannot start a TLS session");
    return caf::io::scribe_ptr{std::move(scribe)};
  }

  caf::expected<caf::io::doorman_ptr> open(uint16_t port, const char* addr,
                                           bool reuse) override {
    auto fd = caf::io::network::new_tcp_acceptor_impl(port, addr, reuse);
    if (!fd)
      return std::move(fd.error());
    return caf::io::doorman_ptr{
      caf::make_counted<gated_doorman>(system(), mpx(), *fd, gate_, tls_)};
  }

private:
  default_multiplexer& mpx() {
    return static_cast<default_multiplexer&>(system().middleman().backend());
  }

  std::shared_ptr<connection_gate> gate_;
  bool tls_;
};

} // namespace

caf::io::middleman_actor
spawn_gated_middleman(caf::actor_system& sys,
                      std::shared_ptr<connection_gate> gate, bool tls) {
  auto broker
    = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  // Detached unless told otherwise, as CAF runs its own middleman actor:
  // publish and unpublish block on it, also from inside actors when a
  // runner leaves, and a scheduler of one worker would deadlock.
  if (!caf::get_or(sys.config(), "middleman.attach-utility-actors", false))
    return sys.spawn<gated_middleman, caf::detached + caf::hidden>(
      std::move(broker), std::move(gate), tls);
  return sys.spawn<gated_middleman, caf::hidden>(std::move(broker),
                                                 std::move(gate), tls);
}

} // namespace caf_cluster::internal
