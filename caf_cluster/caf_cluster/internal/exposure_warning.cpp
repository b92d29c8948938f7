#include "caf_cluster/internal/exposure_warning.hpp"

#include <arpa/inet.h>

namespace caf_cluster::internal {

bool is_loopback_host(const std::string& host) {
  if (host == "localhost")
    return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::string socket_exposure(const runner_address& bind, bool tls) {
  if (tls || is_loopback_host(bind.host))
    return {};
  return "listening on " + to_string(bind)
    + " without TLS: any process that reaches this address can send "
      "messages to every entity; set cluster.tls.ca-file, "
      "cluster.tls.cert-file and cluster.tls.key-file";
}

std::string frame_exposure(const runner_address& bind,
                           const std::string& name) {
  if (is_loopback_host(bind.host))
    return {};
  return "listening on " + to_string(bind) + " with cluster.transport=" + name
    + ", which has no TLS: any process that "
      "reaches this address can send messages to every entity; keep it on a "
      "private network or use cluster.transport=socket with cluster.tls.*";
}

} // namespace caf_cluster::internal
