// A small HTTP/1.1 server (Boost.Beast) for the gateway, plain or HTTPS: one
// I/O thread, keep-alive, bounded headers and bodies, idle and handshake
// timeouts and a connection cap, so that no input can crash it, grow it
// without bound or hang a connection. Handlers answer asynchronously: an
// entity's reply arrives later, on another thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caf/expected.hpp"

namespace caf_cluster::gateway {

/// One request as the handler sees it.
struct http_request {
  /// "GET", "POST", ...
  std::string method;
  /// The path, percent-decoding left to the handler.
  std::string path;
  /// The query string after '?', without it; empty if none.
  std::string query;
  /// Header fields by lower-case name (the last one wins).
  std::map<std::string, std::string> headers;
  /// The body, at most `http_server_options::max_body_bytes`.
  std::string body;
  /// The peer's IP address.
  std::string peer;

  /// The value of header `name` (lower case), or an empty string.
  const std::string& header(const std::string& name) const;
};

/// One response.
struct http_response {
  /// The status code.
  unsigned status = 200;
  /// The Content-Type header.
  std::string content_type = "text/plain; charset=utf-8";
  /// Further header fields.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The body.
  std::string body;
};

/// A plain-text response with `status` and `body` (a newline is added).
http_response text_response(unsigned status, std::string body);

/// Delivers the response to a request; callable once, from any thread. A
/// responder dropped without a call answers 500.
using http_responder = std::function<void(http_response)>;

/// Called on the server's thread for every complete request; must not block.
using http_handler = std::function<void(http_request, http_responder)>;

/// Limits and addresses of an http_server.
struct http_server_options {
  /// Address to bind, e.g. "127.0.0.1" or "0.0.0.0".
  std::string host = "127.0.0.1";
  /// Port to bind; 0 picks a free one (see http_server::port).
  uint16_t port = 0;
  /// Bytes of a request's header section at most (431 beyond).
  size_t max_header_bytes = 16 * 1024;
  /// Bytes of a request body at most (413 beyond).
  size_t max_body_bytes = 1024 * 1024;
  /// A connection without a complete request for this long is closed; so is
  /// one whose response waits longer than `response_timeout`.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Time a handler has to respond before the server answers 504.
  std::chrono::milliseconds response_timeout{60'000};
  /// Connections open at once at most; further ones are closed at accept.
  size_t max_connections = 256;
  /// PEM certificate (chain) to serve HTTPS with; with `tls_key_file` it
  /// turns on TLS for every connection (plain HTTP is refused then). Both
  /// empty: plain HTTP.
  std::string tls_certificate_file;
  /// PEM private key of `tls_certificate_file` (unencrypted).
  std::string tls_key_file;
  /// A TLS connection whose handshake (or goodbye) takes longer is closed.
  std::chrono::milliseconds handshake_timeout{10'000};
};

/// The server. Destroying it stops it (see stop).
class http_server {
public:
  /// Binds and starts serving `handler`. Fails with `errc::invalid_config`
  /// (bad host, unusable TLS files) or `errc::runner_unavailable` (address
  /// in use) naming the address or file.
  static caf::expected<std::unique_ptr<http_server>>
  start(http_server_options options, http_handler handler);

  ~http_server();

  http_server(const http_server&) = delete;

  http_server& operator=(const http_server&) = delete;

  /// The bound port (the one picked when the options said 0).
  uint16_t port() const noexcept;

  /// Stops accepting, closes every connection and joins the I/O thread;
  /// responders called later do nothing. Idempotent.
  void stop();

  /// Connections open now (for tests and metrics).
  size_t connections() const noexcept;

  /// Whether the server speaks HTTPS.
  bool tls() const noexcept;

  /// The state shared with the connections (defined internally).
  struct impl;

private:
  explicit http_server(std::shared_ptr<impl> ptr);

  std::shared_ptr<impl> impl_;
};

} // namespace caf_cluster::gateway
