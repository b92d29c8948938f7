// The checks of sharding_config's values against their ranges and each
// other, apart from declaring and reading the options: validate() also runs
// on a config built in code, which never passed through the option parser.
#include "caf_cluster/sharding_config.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "caf/deep_to_string.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/config_text.hpp"
#include "caf_cluster/internal/gateway_config.hpp"
#include "caf_cluster/runner_address.hpp"
#include "caf_cluster/storage/storage_uri.hpp"

namespace caf_cluster {

namespace {

using internal::context_text;
using internal::invalid_config;
using internal::option_key;
using internal::quoted;

constexpr int32_t max_shards_per_group = 1'000'000;

caf::error check_positive(std::string_view name, caf::timespan x) {
  if (x > caf::timespan::zero())
    return caf::none;
  return invalid_config(option_key(name) + " must be positive, got "
                        + to_option_string(x));
}

caf::error check_range(std::string_view name, caf::timespan x,
                       caf::timespan min, caf::timespan max) {
  if (x >= min && x <= max)
    return caf::none;
  return invalid_config(
    option_key(name) + " must be between " + to_option_string(min) + " and "
    + to_option_string(max) + ", got " + to_option_string(x));
}

caf::error check_range(std::string_view name, int64_t x, int64_t min,
                       int64_t max) {
  if (x >= min && x <= max)
    return caf::none;
  return invalid_config(option_key(name) + " must be between "
                        + std::to_string(min) + " and " + std::to_string(max)
                        + ", got " + std::to_string(x));
}

caf::error check_at_least(std::string_view name, int64_t x, int64_t min) {
  if (x >= min)
    return caf::none;
  return invalid_config(option_key(name) + " must be at least "
                        + std::to_string(min) + ", got " + std::to_string(x));
}

caf::error check_address(std::string_view name, const std::string& x) {
  if (x.empty())
    return caf::none;
  if (auto addr = parse_runner_address(x); !addr)
    return invalid_config(option_key(name)
                          + " is invalid: " + context_text(addr.error()));
  return caf::none;
}

caf::error check_shard_groups(const std::vector<std::string>& xs) {
  auto key = option_key("shard-groups");
  if (xs.empty())
    return invalid_config(key + " must name at least one group, got []");
  for (auto i = xs.begin(); i != xs.end(); ++i) {
    if (i->empty())
      return invalid_config(key + " must not contain an empty name, got "
                            + caf::deep_to_string(xs));
    // Shard ids print as <group>:<id> and parse at the last ':'.
    if (i->find(':') != std::string::npos)
      return invalid_config(key + " names must not contain ':', got "
                            + quoted(*i));
    if (std::find(xs.begin(), i, *i) != i)
      return invalid_config(key + " must not repeat a name, got " + quoted(*i)
                            + " twice");
  }
  return caf::none;
}

// A duration in the options' syntax (an integer and a unit), or none.
std::optional<caf::timespan> parse_duration_text(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0 || digits > 18)
    return std::nullopt;
  auto count = std::stoll(text.substr(0, digits));
  auto suffix = text.substr(digits);
  for (const auto& [name, scale] : internal::duration_units)
    if (suffix == name) {
      if (count > std::numeric_limits<int64_t>::max() / scale)
        return std::nullopt;
      return caf::timespan{count * scale};
    }
  return std::nullopt;
}

// Retention: 0 (for ever) or 1s..10 years (87600h).
caf::error check_retention(const std::string& what, caf::timespan x) {
  using namespace std::chrono_literals;
  if (x == 0s || (x >= 1s && x <= 87600h))
    return caf::none;
  return invalid_config(what
                        + " must be 0s (for ever) or between 1s and "
                          "87600h, got "
                        + to_option_string(x));
}

} // namespace

caf::expected<std::map<std::string, caf::timespan>>
sharding_config::retention_by_type() const {
  auto key = option_key("message-retention-by-type");
  std::map<std::string, caf::timespan> result;
  for (const auto& entry : message_retention_by_type) {
    // Entity types may contain '=', durations never do.
    auto eq = entry.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return invalid_config(key + " entries must be \"TYPE=DURATION\", got "
                            + quoted(entry));
    auto type = entry.substr(0, eq);
    auto ms = parse_duration_text(entry.substr(eq + 1));
    if (!ms)
      return invalid_config(key + " entry " + quoted(entry)
                            + " needs a duration after '=': an integer with "
                              "a unit ns, us, ms, s, min or h, e.g. 90s");
    if (auto err = check_retention(key + " entry " + quoted(entry), *ms))
      return err;
    if (!result.emplace(type, *ms).second)
      return invalid_config(key + " names entity type " + quoted(type)
                            + " twice");
  }
  return result;
}

std::string to_option_string(caf::timespan x) {
  using namespace std::chrono;
  struct unit {
    int64_t ns;
    const char* suffix;
  };
  static constexpr unit units[] = {
    {duration_cast<nanoseconds>(hours{1}).count(), "h"},
    {duration_cast<nanoseconds>(minutes{1}).count(), "min"},
    {duration_cast<nanoseconds>(seconds{1}).count(), "s"},
    {duration_cast<nanoseconds>(milliseconds{1}).count(), "ms"},
    {duration_cast<nanoseconds>(microseconds{1}).count(), "us"},
  };
  auto count = duration_cast<nanoseconds>(x).count();
  if (count == 0)
    return "0s";
  for (const auto& u : units)
    if (count % u.ns == 0)
      return std::to_string(count / u.ns) + u.suffix;
  return std::to_string(count) + "ns";
}

caf::error sharding_config::validate() const {
  auto spg_key = option_key("shards-per-group");
  if (shards_per_group < 1)
    return invalid_config(spg_key + " must be at least 1, got "
                          + std::to_string(shards_per_group));
  if (shards_per_group > max_shards_per_group)
    return invalid_config(spg_key + " must be at most "
                          + std::to_string(max_shards_per_group) + ", got "
                          + std::to_string(shards_per_group));
  if (auto err = check_shard_groups(shard_groups))
    return err;
  if (auto err = check_address("runner-address", runner_address))
    return err;
  if (auto err = check_address("runner-listen-address", runner_listen_address))
    return err;
  if (runner_address.empty() && !runner_listen_address.empty())
    return invalid_config(option_key("runner-listen-address")
                          + " needs cluster.runner-address (the address peers "
                            "use), got "
                          + quoted(runner_listen_address)
                          + " with an empty cluster.runner-address");
  if (auto err = check_at_least("runner-weight", runner_weight, 1))
    return err;
  if (auto err = check_at_least("entity-mailbox-capacity",
                                entity_mailbox_capacity, 1))
    return err;
  if (auto err = check_at_least("max-resident-entities", max_resident_entities,
                                0))
    return err;
  using namespace std::chrono_literals;
  if (auto err = check_range("entity-max-idle", entity_max_idle, 1ms, 168h))
    return err;
  if (auto err = check_range("entity-termination-timeout",
                             entity_termination_timeout, 1ms, 1h))
    return err;
  if (auto err = check_range("lease-duration", lease_duration, 10ms, 1h))
    return err;
  if (auto err = check_positive("lease-refresh-interval",
                                lease_refresh_interval))
    return err;
  // Below half the lease, one failed refresh can be retried before expiry.
  if (lease_refresh_interval >= lease_duration / 2)
    return invalid_config(
      option_key("lease-refresh-interval")
      + " must be less than half of cluster.lease-duration ("
      + to_option_string(lease_duration)
      + " / 2 = " + to_option_string(lease_duration / 2) + "), got "
      + to_option_string(lease_refresh_interval));
  if (auto err = check_range("lease-refresh-interval", lease_refresh_interval,
                             1ms, 1h))
    return err;
  if (auto err = check_range("refresh-assignments-interval",
                             refresh_assignments_interval, 1ms, 1h))
    return err;
  // Below 1ms a message whose shard moves would be re-routed thousands of
  // times a second.
  if (auto err = check_range("send-retry-interval", send_retry_interval, 1ms,
                             1min))
    return err;
  if (auto err = check_range("send-timeout", send_timeout, 1ms, 24h))
    return err;
  if (auto err = check_range("message-claim-timeout", message_claim_timeout,
                             10ms, 24h))
    return err;
  if (auto err = check_range("handshake-timeout", handshake_timeout, 10ms,
                             5min))
    return err;
  if (auto err = check_range("max-clock-skew", max_clock_skew, 0s, 1h))
    return err;
  if (auto err = check_range("max-message-size", max_message_size, 1024,
                             int64_t{1} << 30))
    return err;
  if (auto err = check_range("max-entity-id-length", max_entity_id_length, 1,
                             int64_t{1} << 20))
    return err;
  if (auto err = check_range("max-connections", max_connections, 1, 65536))
    return err;
  if (auto err = check_retention(option_key("message-retention"),
                                 message_retention))
    return err;
  if (auto by_type = retention_by_type(); !by_type)
    return std::move(by_type.error());
  if (auto err = check_range("retention-sweep-interval",
                             retention_sweep_interval, 1ms, 24h))
    return err;
  if (auto err = check_range("retention-batch-size", retention_batch_size, 1,
                             100'000))
    return err;
  {
    int set = !tls_ca_file.empty() + !tls_cert_file.empty()
      + !tls_key_file.empty();
    if (set != 0 && set != 3)
      return invalid_config(
        "cluster.tls.ca-file, cluster.tls.cert-file and cluster.tls.key-file "
        "must be set together (all three or none), got ca-file="
        + quoted(tls_ca_file) + ", cert-file=" + quoted(tls_cert_file)
        + ", key-file=" + quoted(tls_key_file));
  }
  if (transport != "socket" && transport != "websocket" && transport != "http")
    return invalid_config(option_key("transport")
                          + " must be socket, websocket or http, got "
                          + quoted(transport));
  // The WebSocket and HTTP transports have no TLS of their own yet: silently
  // sending in the clear what the operator asked to protect would be worse
  // than failing.
  if (transport != "socket" && tls_enabled())
    return invalid_config(option_key("transport") + "=" + transport
                          + " does not support cluster.tls.*; use "
                            "cluster.transport=socket for TLS");
  if (auto err = internal::check_gateway(*this))
    return err;
  auto uri = storage::parse_storage_uri(storage);
  if (!uri)
    return invalid_config(option_key("storage")
                          + " is invalid: " + context_text(uri.error()));
  // Memory storage lives inside one process: a client would see no runner.
  if (client_only && uri->type == storage::storage_uri::kind::memory)
    return invalid_config(option_key("client-only")
                          + " needs a cluster.storage shared with the runners "
                            "(sqlite:<path> or postgresql://...), got "
                          + quoted(storage));
  return caf::none;
}

} // namespace caf_cluster
