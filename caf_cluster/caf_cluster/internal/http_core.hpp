// What both sides of the HTTP transport agree on (targets, the session
// header, timings) and the state their connections share on the I/O thread.
// The server and the client side have sources of their own; `http_core`'s
// hooks are defined in http_io.cpp, which ties the two together.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "caf_cluster/internal/io_thread.hpp"

namespace caf_cluster::internal {

class http_server_session;
class http_server_conn;
class http_client_session;

constexpr const char* http_send_target = "/caf-cluster/send";
constexpr const char* http_poll_target = "/caf-cluster/poll";
constexpr const char* http_session_field = "X-Caf-Cluster-Session";

// How long the server holds a poll without replies; the client polls again
// at once, so this also bounds how long a session stays without requests.
constexpr auto http_poll_hold = std::chrono::seconds{5};

// Room for the length prefixes of a body's frames.
constexpr size_t http_body_margin = 64 * 1024;

/// The sessions and connections of one HTTP I/O thread.
struct http_core final : io_core {
  using io_core::io_core;

  void forget_closed() override;

  void admit(boost::asio::ip::tcp::socket sock) override;

  void stop_all() override;

  /// This core, as the server side's connections hold it.
  std::shared_ptr<http_core> self();

  std::map<std::string, std::shared_ptr<http_server_session>> sessions;
  std::list<std::weak_ptr<http_client_session>> clients;
  std::list<std::weak_ptr<http_server_conn>> conns;
};

} // namespace caf_cluster::internal
