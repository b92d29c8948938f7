// A counter cluster of real processes on 127.0.0.1 for the multi-process
// tests: counter-node runners on free ports sharing one SQLite file, the
// shard table as cluster-ctl prints it, and an in-process client-only node
// that asks many counters at once with short timeouts.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/expected.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/metrics.hpp"

#include "multiprocess/process.hpp"

namespace caf_cluster::multiprocess {

/// Paths of the programs under test (set by tests/multiprocess.cmake).
struct programs {
  static const std::string counter_node;
  static const std::string counter_cli;
  static const std::string cluster_ctl;
  static const std::string services_node;
  static const std::string counter_local;
  /// The outsider's program of the security tests (hostile_peer.cpp).
  static const std::string hostile_peer;
};

/// One counter-node process.
struct runner {
  process* proc = nullptr;
  uint16_t port = 0;
  /// "127.0.0.1:<port>", as registered in runner storage (the advertised
  /// address: a proxy's when the runner is reached through one).
  std::string address;
  /// "<host>:<port>" the runner listens on.
  std::string listen_address;
};

/// How `start_node` starts a runner on one of several loopback "hosts".
struct node_options {
  /// Address to listen on: 127.0.0.2, 127.0.0.3, ... stand for other hosts.
  std::string host = "127.0.0.1";
  /// 0: a free port of `host`, retried when it was taken meanwhile.
  uint16_t port = 0;
  /// The address peers use when it differs from `host:port` (a proxy in
  /// front of the runner: cluster.runner-address, with
  /// cluster.runner-listen-address the real one); empty: `host:port`.
  std::string advertised;
  /// Further flags (`--cluster.lease-duration=...`).
  std::vector<std::string> extra;
  clock_type::duration timeout = 10s;
  std::string program = programs::counter_node;
  /// Working directory and environment of the process.
  spawn_options spawn;
};

/// `--cluster.transport=X` when the run asks for transport X
/// (CAF_CLUSTER_TEST_TRANSPORT=websocket or http), else nothing; `start_node`
/// and `client_node` add it, so a suite runs unchanged on that transport.
std::vector<std::string> test_transport_args();

/// `args` followed by `test_transport_args()`: for the clients and
/// client-only nodes a suite starts itself (counter-cli, orders-cli), so that
/// they reach runners on the transport of the run.
std::vector<std::string> with_test_transport(std::vector<std::string> args);

/// A start of counter-node that must fail: its options and a part of the one
/// line it must print.
struct refused_start {
  std::vector<std::string> args;
  std::string message;
};

/// Starts counter-node once per case with the case's options after `--port
/// <free port> --storage <storage>`, and checks that each ends without
/// success and prints one line holding the case's message.
void check_refused_starts(const std::string& storage,
                          const std::vector<refused_start>& cases);

/// Starts a runner as `opts` says and waits for its `ready` line; throws
/// std::runtime_error with the node's stderr when it does not come up.
runner start_node(process_group& group, const std::string& storage,
                  const node_options& opts);

/// Starts `program` (a runner of a sample: `counter-node` by default) on
/// `port` (0: a free port, retried with another one when the port was taken
/// meanwhile) and waits for its `ready` line. Throws std::runtime_error with
/// the node's stderr when it does not come up within `timeout`.
runner start_node(process_group& group, const std::string& storage,
                  uint16_t port = 0, std::vector<std::string> extra = {},
                  clock_type::duration timeout = 10s,
                  const std::string& program = programs::counter_node);

/// The output of `cluster-ctl shards`: who holds which shard now.
struct shard_table {
  /// Holder of every lease in state `held`, by shard ("default:186").
  std::map<std::string, std::string> holders;
  /// The per-runner counts at the end ("runner held-shards").
  std::map<std::string, int> counts;
};

/// Runs `cluster-ctl shards --storage <storage>`; nullopt when it fails.
std::optional<shard_table> read_shards(const std::string& storage);

/// Polls `cluster-ctl shards` until the runners holding shards are exactly
/// `expected` (address -> count) or `timeout` passes; returns the last table.
shard_table await_shard_counts(const std::string& storage,
                               const std::map<std::string, int>& expected,
                               clock_type::duration timeout);

/// Formats a count map as "a=100 b=100" for messages.
std::string to_string(const std::map<std::string, int>& counts);

/// A client-only node of the counter cluster inside the test process.
class client_node {
public:
  /// Joins the cluster of `storage` as a client with the CAF flags
  /// `caf_args` (`--cluster.tls.ca-file=...`); throws std::runtime_error
  /// when that fails.
  explicit client_node(const std::string& storage,
                       std::vector<std::string> caf_args = {});

  ~client_node();

  client_node(const client_node&) = delete;

  client_node& operator=(const client_node&) = delete;

  /// Asks `increment{amount}`; the error text on failure.
  caf::expected<int64_t> increment(const std::string& id, int64_t amount,
                                   caf::timespan timeout = 5s);

  /// Asks the persisted `increment{amount, key}`: it counts once per
  /// (counter, key), so a retry with the same key after an error returns the
  /// stored reply instead of adding again. Safe to call from several threads
  /// at once (each ask has its own scoped actor).
  caf::expected<int64_t> increment(const std::string& id, int64_t amount,
                                   const std::string& key,
                                   caf::timespan timeout);

  /// Sends the persisted `increment{amount, key}` for delivery at
  /// `deliver_at_ms` (ms since the epoch) without waiting for its reply.
  void increment_at(const std::string& id, int64_t amount,
                    const std::string& key, int64_t deliver_at_ms);

  /// Asks `get_value`; the error text on failure.
  caf::expected<int64_t> get(const std::string& id, caf::timespan timeout = 5s);

  /// The shard of counter `id` ("default:186").
  std::string shard_of(const std::string& id);

  /// Renders an error of this node's actor system.
  std::string render(const caf::error& err);

  /// Returns this node's metrics (its asks' latency, the live runners it
  /// sees).
  caf_cluster::metrics_snapshot metrics() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// When each of a set of counters answered again and with which value.
struct recovery {
  /// The value each counter answered with first, by id.
  std::map<std::string, int64_t> values;
  /// Ids that had not answered when the deadline passed, with the last error.
  std::map<std::string, std::string> missing;
  /// Seconds from `since` until the last counter answered (or until the
  /// deadline when some never did).
  double seconds = 0;
};

/// Asks `get_value` of every counter in `ids` in parallel, each in a loop of
/// asks with `attempt_timeout`, until each one answered once or `deadline`
/// passes; times the answers from `since`.
recovery await_answers(client_node& client, const std::vector<std::string>& ids,
                       clock_type::time_point since,
                       clock_type::time_point deadline,
                       caf::timespan attempt_timeout = 250ms);

} // namespace caf_cluster::multiprocess
