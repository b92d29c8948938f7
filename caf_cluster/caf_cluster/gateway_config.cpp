#include "caf_cluster/internal/gateway_config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string>

#include "caf_cluster/internal/config_text.hpp"
#include "caf_cluster/runner_address.hpp"

namespace caf_cluster::internal {

namespace {

// Beast binds to an address, never to a name that could resolve elsewhere.
bool is_ip_literal(const std::string& host) {
  in_addr v4;
  in6_addr v6;
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1
         || ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

// Unlike exposure_warning's, this one does not take "localhost": the host
// has already been checked to be an IP literal.
bool is_loopback_ip(const std::string& host) {
  in_addr v4;
  in6_addr v6;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1
         && IN6_IS_ADDR_LOOPBACK(&v6);
}

} // namespace

// The gateway answers anyone who can reach its port: a token, or a promise
// that only this host can reach it.
caf::error check_gateway(const sharding_config& cfg) {
  const std::string listen_key = "cluster.http-listen";
  if (cfg.http_tls_certificate.empty() != cfg.http_tls_key.empty())
    return invalid_config(
      "cluster.http-tls-certificate and cluster.http-tls-key must be set "
      "together (both or neither), got http-tls-certificate="
      + quoted(cfg.http_tls_certificate)
      + ", http-tls-key=" + quoted(cfg.http_tls_key));
  if (cfg.http_listen.empty()) {
    if (!cfg.http_token.empty() || !cfg.http_token_file.empty()
        || cfg.http_anonymous)
      return invalid_config(
        "cluster.http-token, cluster.http-token-file and "
        "cluster.http-anonymous need " + listen_key + ", which is empty");
    if (!cfg.http_tls_certificate.empty())
      return invalid_config(
        "cluster.http-tls-certificate and cluster.http-tls-key need "
        + listen_key + ", which is empty");
    return caf::none;
  }
  auto addr = parse_runner_address(cfg.http_listen);
  if (!addr)
    return invalid_config(listen_key + " is invalid: "
                          + context_text(addr.error()));
  if (!is_ip_literal(addr->host))
    return invalid_config(listen_key + " needs an IP address as its host "
                                       "(127.0.0.1, 0.0.0.0, [::1]), got "
                          + quoted(cfg.http_listen));
  int ways = !cfg.http_token.empty() + !cfg.http_token_file.empty()
             + cfg.http_anonymous;
  if (ways != 1)
    return invalid_config(
      listen_key + "=" + quoted(cfg.http_listen)
      + " needs exactly one of cluster.http-token, cluster.http-token-file "
        "and cluster.http-anonymous, got "
      + std::to_string(ways));
  if (cfg.http_anonymous && !is_loopback_ip(addr->host))
    return invalid_config(
      "cluster.http-anonymous serves without a token, so it needs a "
      "loopback " + listen_key + " (127.0.0.1, ::1), got "
      + quoted(cfg.http_listen));
  return caf::none;
}

} // namespace caf_cluster::internal
