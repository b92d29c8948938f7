// Every tunable of the sharding runtime with its default, in one place, and
// the glue that makes each one a CAF option (`[cluster]` INI section and
// `--cluster.<key>=` flags). Bad values are refused at start-up with a message
// that names the option, never clamped or ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/log.hpp"
#include "caf_cluster/storage/sqlite_options.hpp"

namespace caf_cluster {

// Keeps the markdown table rows on one line each.
// clang-format off
/// Configuration of one runner's sharding runtime.
///
/// Defaults table (the member initializers below are the only source of these
/// values; `declare_options` and `read_sharding_config` use them):
///
/// | field | option key | default | meaning |
/// | --- | --- | --- | --- |
/// | `shards_per_group` | `cluster.shards-per-group` | `300` | shards in each group, 1..1000000; every runner of a cluster must agree |
/// | `shard_groups` | `cluster.shard-groups` | `["default"]` | shard groups this runner hosts; non-empty, unique names without `:` |
/// | `runner_address` | `cluster.runner-address` | `""` | `host:port` or `[ipv6]:port` advertised to peers; empty = not a network runner (single process or client only) |
/// | `runner_listen_address` | `cluster.runner-listen-address` | `""` | address to bind; empty = `runner_address`; needs `runner_address` |
/// | `runner_weight` | `cluster.runner-weight` | `1` | weight on the consistent-hash ring, >= 1 |
/// | `entity_mailbox_capacity` | `cluster.entity-mailbox-capacity` | `4096` | messages queued or running per entity before `mailbox_full`, >= 1 |
/// | `max_resident_entities` | `cluster.max-resident-entities` | `0` | entities resident on this runner at most (all types), >= 0; 0 = unbounded; at the cap idle entities are passivated first, volatile sends that would activate a new entity get `mailbox_full`, persisted ones wait in storage |
/// | `entity_max_idle` | `cluster.entity-max-idle` | `1min` | passivate an entity after this long without messages, > 0 |
/// | `entity_termination_timeout` | `cluster.entity-termination-timeout` | `15s` | time an entity gets to stop before it is killed, > 0 |
/// | `lease_duration` | `cluster.lease-duration` | `2s` | a shard lease expires this long after its last refresh, > 0 |
/// | `lease_refresh_interval` | `cluster.lease-refresh-interval` | `500ms` | period of lease refreshes, > 0 and < `lease_duration / 2` |
/// | `refresh_assignments_interval` | `cluster.refresh-assignments-interval` | `1s` | period of re-reading runners and recomputing assignments, > 0 |
/// | `send_retry_interval` | `cluster.send-retry-interval` | `100ms` | pause before re-routing a message whose shard is moving, > 0 |
/// | `send_timeout` | `cluster.send-timeout` | `10s` | default timeout of a blocking ask and bound on routing retries, > 0 |
/// | `message_claim_timeout` | `cluster.message-claim-timeout` | `10s` | a stored persisted message handed to an entity manager but still without reply is delivered again after this long (if it is not in that runner's queues any more), > 0 |
/// | `storage` | `cluster.storage` | `"memory"` | runner and message storage: `memory` or `sqlite:<path>` |
/// | `message_retention` | `cluster.message-retention` | `24h` | a processed persisted message and its reply are deleted this long after the reply was stored (a duplicate key is recognised until then, a later one is a new message); `0s` keeps them for ever; `0s` or 1s..87600h |
/// | `message_retention_by_type` | `cluster.message-retention-by-type` | `[]` | retention of single entity types, entries `"TYPE=DURATION"` (`"caf_cluster.cron/nightly=1h"`, `0s` for ever); they take precedence over the type's registration (`entity::message_retention`) and `message_retention` |
/// | `retention_sweep_interval` | `cluster.retention-sweep-interval` | `1min` | pause between sweeps for expired messages, 1ms..24h |
/// | `retention_batch_size` | `cluster.retention-batch-size` | `500` | messages deleted per storage transaction of a sweep (a sweep runs batch after batch until nothing is due), 1..100000 |
/// | `log_level` | `cluster.log-level` | `info` | the least level logged: `trace`, `debug`, `info`, `warning`, `error` or `off` (see `log_record`) |
/// | `storage_synchronous_full` | `cluster.storage-synchronous-full` | `false` | SQLite commits wait for fsync (`synchronous=FULL`); the default `NORMAL` in WAL mode may lose the last commits on a power cut, never on a process crash |
/// | `client_only` | `cluster.client-only` | `false` | the node routes sends to the cluster's runners but hosts no shards (no port, no registration); needs a shared `sqlite:<path>` storage that already exists |
/// | `max_message_size` | `cluster.max-message-size` | `4194304` (4 MiB) | bytes of one frame read from a connection and of one message's payload, 1024..1073741824; a larger frame closes the connection before it is buffered, a larger send fails with `message_too_large` |
/// | `max_entity_id_length` | `cluster.max-entity-id-length` | `1024` | bytes of an entity id, 1..1048576; a longer id fails the send with `invalid_argument`, on the sender and on a receiving runner |
/// | `max_connections` | `cluster.max-connections` | `256` | connections accepted on this runner's port and open at once (from peers and clients; the ones it opens itself do not count), 1..65536; further ones are closed when accepted |
/// | `handshake_timeout` | `cluster.handshake-timeout` | `5s` | a connection that has not completed its handshake (TLS and BASP) this long after it was accepted is closed, 10ms..5min |
/// | `transport` | `cluster.transport` | `"socket"` | how runners and clients reach runners: `socket` (CAF's BASP over TCP, optionally TLS) `websocket` (binary WebSocket frames over TCP, no TLS) or `http` (the same frames in HTTP/1.1 POSTs and long polls, no TLS); every node of a cluster must use the same |
/// | `max_clock_skew` | `cluster.max-clock-skew` | `10s` | a runner heartbeat dated further than this ahead of the local clock is ignored (the runner counts as dead), 0s..1h |
/// | `tls_ca_file` | `cluster.tls.ca-file` | `""` | PEM file of the cluster's certificate authority; with `tls_cert_file` and `tls_key_file` it turns on mutual TLS: all three or none |
/// | `tls_cert_file` | `cluster.tls.cert-file` | `""` | PEM certificate (chain) of this node, signed by the cluster's CA |
/// | `tls_key_file` | `cluster.tls.key-file` | `""` | PEM private key of `tls_cert_file` |
/// | `http_listen` | `cluster.http-listen` | `""` | `HOST:PORT` of this node's HTTP gateway (health, metrics, dashboard); empty = no gateway. HOST is an IP address |
/// | `http_token` | `cluster.http-token` | `""` | bearer token the gateway requires (`Authorization: Bearer <token>`) on everything but `/health/*` |
/// | `http_token_file` | `cluster.http-token-file` | `""` | file holding the token instead (first line; not readable by group or others); at most one of the two |
/// | `http_anonymous` | `cluster.http-anonymous` | `false` | serve the gateway without a token; allowed only when `http_listen`'s host is a loopback address |
/// | `http_tls_certificate` | `cluster.http-tls-certificate` | `""` | PEM certificate (chain) the gateway presents; with `http_tls_key` it serves HTTPS only: both or neither, and only with `http_listen` |
/// | `http_tls_key` | `cluster.http-tls-key` | `""` | PEM private key of `http_tls_certificate` |
///
/// Every duration has a range, named in the error that refuses a value outside
/// it: `entity-max-idle` 1ms..168h, `entity-termination-timeout` 1ms..1h,
/// `lease-duration` 10ms..1h, `lease-refresh-interval` 1ms..(lease / 2),
/// `refresh-assignments-interval` 1ms..1h, `send-retry-interval` 1ms..1min,
/// `send-timeout` 1ms..24h, `message-claim-timeout` 10ms..24h,
/// `handshake-timeout` 10ms..5min, `max-clock-skew` 0s..1h,
/// `message-retention` 0s or 1s..87600h (also per type),
/// `retention-sweep-interval` 1ms..24h. A duration too large
/// for 64-bit nanoseconds (above 2562047h) is refused as such.
///
/// Syntax, the same on the command line and in INI files except for quoting:
/// - durations: an integer followed by a unit, one of `ns`, `us`, `ms`, `s`,
///   `min`, `h` (`500ms`, `90s`, `1min`, `2h`); no fractions (`1.5s` is
///   refused: write `1500ms`), no bare numbers, no `d`;
/// - integers: decimal (`64`), also `0x40`; out-of-range values are refused;
/// - lists: `--cluster.shard-groups=a,b`, `=[a,b]` or `='["a","b"]'` on the
///   command line; `shard-groups = ["a", "b"]` in INI files;
/// - strings: as is on the command line (`--cluster.storage=sqlite:/tmp/x.db`),
///   double-quoted in INI files (`storage = "sqlite:/tmp/x.db"`; an unquoted
///   value is an INI syntax error, a single-quoted one is an atom and refused).
///
/// Example INI file:
/// ~~~
/// [cluster]
/// shards-per-group = 64
/// shard-groups = ["default", "billing"]
/// runner-address = "10.0.0.7:34001"
/// entity-max-idle = 90s
/// storage = "sqlite:/var/lib/app/cluster.db"
/// ~~~
// clang-format on
struct sharding_config {
  /// Number of shards in each shard group.
  int32_t shards_per_group = 300;

  /// Shard groups this runner hosts.
  std::vector<std::string> shard_groups = {"default"};

  /// `host:port` this runner advertises; empty if it is not a network runner.
  std::string runner_address;

  /// Address the runner binds; empty means `runner_address`.
  std::string runner_listen_address;

  /// Weight of this runner on the consistent-hash ring.
  int32_t runner_weight = 1;

  /// Bound on messages queued or running for one entity.
  int64_t entity_mailbox_capacity = 4096;

  /// Bound on entities resident on this runner (all types); 0 = unbounded.
  int64_t max_resident_entities = 0;

  /// Passivation delay of an entity without messages.
  caf::timespan entity_max_idle = std::chrono::minutes{1};

  /// Time an entity gets to stop before it is killed.
  caf::timespan entity_termination_timeout = std::chrono::seconds{15};

  /// Lifetime of a shard lease after its last refresh.
  caf::timespan lease_duration = std::chrono::seconds{2};

  /// Period of lease refreshes.
  caf::timespan lease_refresh_interval = std::chrono::milliseconds{500};

  /// Period of re-reading runners and recomputing shard assignments.
  caf::timespan refresh_assignments_interval = std::chrono::seconds{1};

  /// Pause before re-routing a message whose shard has no reachable owner.
  caf::timespan send_retry_interval = std::chrono::milliseconds{100};

  /// Default timeout of a blocking ask and bound on routing retries.
  caf::timespan send_timeout = std::chrono::seconds{10};

  /// How long a claimed persisted message may stay without reply before its
  /// shard's owner claims it again (a message still queued there is skipped).
  caf::timespan message_claim_timeout = std::chrono::seconds{10};

  /// Runner and message storage: `memory` or `sqlite:<path>`.
  std::string storage = "memory";

  /// How long processed persisted messages and their replies are kept after
  /// the reply; zero keeps them for ever.
  caf::timespan message_retention = std::chrono::hours{24};

  /// Retention of single entity types as `"TYPE=DURATION"` entries.
  std::vector<std::string> message_retention_by_type;

  /// Pause between two sweeps for expired messages.
  caf::timespan retention_sweep_interval = std::chrono::minutes{1};

  /// Messages deleted per storage transaction of a sweep.
  int64_t retention_batch_size = 500;

  /// Returns `message_retention_by_type` parsed: entity type -> retention.
  /// @returns the map, or `errc::invalid_config` naming the first bad entry
  ///          (no `=`, an empty type, a bad or out-of-range duration, a type
  ///          given twice).
  caf::expected<std::map<std::string, caf::timespan>>
  retention_by_type() const;

  /// Whether SQLite commits wait for fsync (`PRAGMA synchronous=FULL`).
  bool storage_synchronous_full = false;

  /// Whether this node only routes sends (hosts no shards, never listens or
  /// registers); its SQLite storage file must exist already.
  bool client_only = false;

  /// The least level of the records the runtime logs.
  caf_cluster::log_level log_level = caf_cluster::log_level::info;

  /// Bound in bytes on one frame read from a connection and on one message's
  /// payload.
  int64_t max_message_size = 4 * 1024 * 1024;

  /// Bound in bytes on an entity id.
  int64_t max_entity_id_length = 1024;

  /// Bound on connections this runner keeps open at once.
  int64_t max_connections = 256;

  /// Time a new connection gets to complete its TLS and BASP handshake.
  caf::timespan handshake_timeout = std::chrono::seconds{5};

  /// How runners reach each other: `socket` (CAF's BASP), `websocket` or
  /// `http`.
  std::string transport = "socket";

  /// Runner heartbeats dated further ahead of the local clock are ignored.
  caf::timespan max_clock_skew = std::chrono::seconds{10};

  /// PEM file of the cluster's certificate authority (mutual TLS).
  std::string tls_ca_file;

  /// PEM certificate chain of this node (mutual TLS).
  std::string tls_cert_file;

  /// PEM private key of `tls_cert_file` (mutual TLS).
  std::string tls_key_file;

  /// `HOST:PORT` of the HTTP gateway; empty = none.
  std::string http_listen;

  /// Bearer token the gateway requires.
  std::string http_token;

  /// File holding the gateway's bearer token.
  std::string http_token_file;

  /// Serve the gateway without a token (loopback hosts only).
  bool http_anonymous = false;

  /// PEM certificate chain of the gateway's HTTPS.
  std::string http_tls_certificate;

  /// PEM private key of `http_tls_certificate`.
  std::string http_tls_key;

  /// Whether mutual TLS is configured (all three files set).
  bool tls_enabled() const noexcept {
    return !tls_ca_file.empty();
  }

  /// The SQLite options these settings select (a client-only node never
  /// creates the database file).
  storage::sqlite_options sqlite() const;

  /// Checks every field against the rules of the defaults table.
  /// @returns `none`, or `errc::invalid_config` whose message names the first
  ///          offending option by its key and its value, e.g.
  ///          `cluster.shards-per-group must be at least 1, got 0`.
  caf::error validate() const;
};

/// Declares every `sharding_config` field as an option of group `cluster` in
/// `cfg`, so `cfg.parse` accepts `--cluster.KEY=VALUE` flags and `[cluster]`
/// INI entries, and `cfg.set("cluster.KEY", ...)` works. Also stores the defaults
/// in `cfg.content` (without overwriting values already there), so
/// `--dump-config` shows them. Calling it twice is harmless.
/// @note Type errors in INI files and in `cfg.set` surface in
///       `read_sharding_config` with the option's name, not during parsing:
///       CAF 0.17 silently drops mistyped INI values of declared options.
void declare_options(caf::actor_system_config& cfg);

/// Reads the `cluster` options of `cfg`, falling back to the defaults for
/// options that were not set, and validates the result.
/// @returns the configuration, or `errc::invalid_config` naming the option
///          when a value has the wrong type (e.g. `entity-max-idle = 90`
///          without a unit), an unknown key appears in the `cluster` group,
///          or `validate` refuses the result.
caf::expected<sharding_config>
read_sharding_config(const caf::actor_system_config& cfg);

/// Formats `x` in the option syntax with the largest exact unit, e.g. `90s`,
/// `1500ms`, `2h` (CAF 0.17's own `to_string` prints `0d` for whole hours).
std::string to_option_string(caf::timespan x);

} // namespace caf_cluster
