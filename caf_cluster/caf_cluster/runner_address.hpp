// The network address a runner advertises to its peers (`host:port`). It is
// the runner's identity in runner storage and on the hash ring, so parsing and
// printing must round-trip exactly, IPv6 included.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "caf/expected.hpp"
#include "caf/meta/type_name.hpp"

namespace caf_cluster {

/// Where a runner can be reached, e.g. `{"10.0.0.7", 34001}`.
struct runner_address {
  /// A host name, an IPv4 address or an IPv6 address (without brackets).
  std::string host;

  /// The TCP port, 1..65535 for a valid address.
  uint16_t port = 0;
};

/// Returns whether `x` and `y` have the same host and port.
bool operator==(const runner_address& x, const runner_address& y) noexcept;

/// Returns whether `x` and `y` differ in host or port.
bool operator!=(const runner_address& x, const runner_address& y) noexcept;

/// Orders by host, then port, so runner lists sort the same on every node.
bool operator<(const runner_address& x, const runner_address& y) noexcept;

/// Makes `runner_address` serializable for CAF messages.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runner_address& x) {
  return f(caf::meta::type_name("runner_address"), x.host, x.port);
}

/// Returns `host:port`, or `[host]:port` when the host contains a `:` (IPv6).
std::string to_string(const runner_address& x);

/// Parses `host:port` or `[ipv6]:port`.
/// @returns the address, or `errc::invalid_argument` when the host is empty,
///          the port is missing or outside 1..65535, or an IPv6 host lacks
///          brackets; the message quotes `text`.
caf::expected<runner_address> parse_runner_address(std::string_view text);

} // namespace caf_cluster
