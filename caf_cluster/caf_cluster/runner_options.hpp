// What a runner plugs into the sharding runtime to join a cluster: the shared
// runner storage and the network to its peers. Both are interfaces, so memory,
// SQLite and later PostgreSQL storage, and the socket, in-process and later
// HTTP transports combine freely.
#pragma once

#include <memory>

#include "caf_cluster/log.hpp"
#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/transport.hpp"

namespace caf_cluster {

/// How `sharding::make_runner` joins a cluster.
struct runner_options {
  /// Runner storage shared by every runner of the cluster; required.
  std::shared_ptr<storage::runner_driver> storage;

  /// The network to the other runners; required.
  std::shared_ptr<caf_cluster::transport> transport;

  /// Message storage for persisted messages and durable state, shared by
  /// every runner of the cluster and on the same database as `storage` (its
  /// writes are fenced by the lease epochs there). Optional: without it,
  /// entity types with persisted messages or durable state are refused at
  /// registration.
  std::shared_ptr<storage::message_driver> messages;

  /// When true the node routes messages but hosts no shards: it neither
  /// listens nor registers, and `cluster.runner-address` may be empty.
  bool client_only = false;

  /// Runs the blocking storage calls of the shard manager and of the message
  /// storage writer on threads of their own (the default), so a slow database never stalls entities. Turn it off
  /// only under CAF's deterministic test coordinator, with memory storage.
  bool detach_storage_calls = true;

  /// Receives the node's log records at or above `cluster.log-level`;
  /// stderr by default, none when empty.
  log_sink log = make_stderr_log_sink();
};

} // namespace caf_cluster
