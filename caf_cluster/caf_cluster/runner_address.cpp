#include "caf_cluster/runner_address.hpp"

#include <tuple>

#include "caf/error.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster {

namespace {

caf::error invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid runner address \"";
  msg.append(text.data(), text.size());
  msg += "\": ";
  msg.append(why.data(), why.size());
  msg += "; expected host:port or [ipv6]:port";
  return caf::make_error(errc::invalid_argument, std::move(msg));
}

bool has_space_or_control(std::string_view str) {
  for (unsigned char ch : str)
    if (ch <= ' ' || ch == 0x7f)
      return true;
  return false;
}

} // namespace

bool operator==(const runner_address& x, const runner_address& y) noexcept {
  return x.port == y.port && x.host == y.host;
}

bool operator!=(const runner_address& x, const runner_address& y) noexcept {
  return !(x == y);
}

bool operator<(const runner_address& x, const runner_address& y) noexcept {
  return std::tie(x.host, x.port) < std::tie(y.host, y.port);
}

std::string to_string(const runner_address& x) {
  std::string result;
  if (x.host.find(':') != std::string::npos) {
    result += '[';
    result += x.host;
    result += ']';
  } else {
    result += x.host;
  }
  result += ':';
  result += std::to_string(x.port);
  return result;
}

caf::expected<runner_address> parse_runner_address(std::string_view text) {
  if (text.empty())
    return invalid(text, "the address is empty");
  std::string_view host;
  std::string_view rest; // Everything after the host: ":port" if well formed.
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return invalid(text, "missing ']' after the IPv6 host");
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!host.empty() && host.find(':') == std::string_view::npos)
      return invalid(text, "brackets are only for IPv6 hosts");
  } else {
    auto colon = text.find(':');
    if (colon == std::string_view::npos)
      return invalid(text, "missing port");
    host = text.substr(0, colon);
    rest = text.substr(colon);
    // Without brackets we could not tell where an IPv6 host ends.
    if (rest.find(':', 1) != std::string_view::npos)
      return invalid(text, "an IPv6 host must be in brackets, e.g. [::1]:80");
  }
  if (host.empty())
    return invalid(text, "empty host");
  if (has_space_or_control(host))
    return invalid(text, "the host contains whitespace or a control character");
  if (rest.empty() || rest.front() != ':')
    return invalid(text, "missing port");
  auto digits = rest.substr(1);
  if (digits.empty())
    return invalid(text, "missing port");
  uint32_t port = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9')
      return invalid(text, "the port is not a decimal number");
    port = port * 10 + static_cast<uint32_t>(ch - '0');
    if (port > 65535)
      return invalid(text, "the port must be in 1..65535");
  }
  if (port == 0)
    return invalid(text, "the port must be in 1..65535");
  return runner_address{std::string{host}, static_cast<uint16_t>(port)};
}

} // namespace caf_cluster
