// Two runners on two loopback "hosts" (127.0.0.2 and 127.0.0.3), each in a
// working directory of its own, sharing only the cluster's storage, with
// fault-injecting proxies on the links the link-fault tests cut: in front of
// each runner (what peers and clients connect to) and, on PostgreSQL,
// between runner B and the database. Plus a keyed persisted load whose every
// acknowledged increment must be applied exactly once.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "multiprocess/cluster.hpp"
#include "multiprocess/process.hpp"
#include "multiprocess/tcp_proxy.hpp"
#include "multiprocess/test_storage.hpp"

namespace caf_cluster::multiprocess {

/// Where the proxies of a `two_hosts` cluster stand.
struct two_hosts_layout {
  /// Mutual TLS between runners and clients.
  bool tls = false;
  /// Peers and clients reach each runner through a proxy.
  bool runner_proxies = false;
  /// Runner B reaches PostgreSQL through a proxy (PostgreSQL only).
  bool database_proxy = false;
};

/// The cluster of the link-fault tests.
struct two_hosts {
  // Members go in reverse: the client, the processes (killed), the proxies,
  // the storage, the directory.
  temp_dir dir;
  test_storage db;
  std::string storage;
  std::vector<std::string> node_flags;
  std::vector<std::string> client_flags;
  std::unique_ptr<tcp_proxy> proxy_a;
  std::unique_ptr<tcp_proxy> proxy_b;
  std::unique_ptr<tcp_proxy> proxy_db;
  process_group procs;
  runner a;
  runner b;
  std::unique_ptr<client_node> client;

  /// Starts runner A on 127.0.0.2 and B on 127.0.0.3 as `layout` says,
  /// waits until they hold 150 shards each and connects the client.
  explicit two_hosts(const two_hosts_layout& layout);

  /// `count` shards for A and for B.
  std::map<std::string, int> even(int count = 150) const;

  /// The stderr of both runners so far.
  std::string runner_logs();
};

/// Keyed persisted increments (amount 1, key "k<n>" to counter n % counters)
/// from several threads, each key retried until it is acknowledged.
class keyed_load {
public:
  keyed_load(client_node& client, int counters);

  ~keyed_load();

  /// Starts `threads` senders; they stop sending new keys at `stop()` and
  /// give up retrying a key at `deadline`.
  void start(int threads, clock_type::time_point deadline);

  /// Stops the senders after the keys they are sending now; joins them.
  void stop();

  /// Keys acknowledged so far.
  int acknowledged() const noexcept {
    return acknowledged_;
  }

  /// Longest time without an acknowledgement while the load ran, seconds.
  double longest_gap();

  /// Checks exactly-once: every key acknowledged (none abandoned), every
  /// counter's value equal to its number of keys, and the replies of one
  /// counter exactly 1..n (a lost or doubled increment leaves a gap or a
  /// duplicate). Reads the values through `reader`.
  void check_exactly_once(client_node& reader);

  /// "timeout 3, runner_unavailable 24" or "no errors".
  std::string error_summary();

private:
  client_node& client_;
  int counters_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_{0};
  std::atomic<int> acknowledged_{0};
  std::mutex mtx_;
  std::vector<std::vector<int64_t>> replies_;
  std::map<std::string, int> errors_;
  std::vector<std::string> abandoned_;
  clock_type::time_point last_ack_;
  clock_type::duration longest_gap_{0};
  std::vector<std::thread> threads_;
};

} // namespace caf_cluster::multiprocess
