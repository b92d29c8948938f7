// The in-memory database behind the memory backends: runner tables and
// message tables under one mutex, as one SQLite file holds both. A fenced
// message write and a lease grant are thus serialized exactly as in SQLite,
// and every driver made on one store sees the same rows.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::storage {

namespace internal {

/// A stored request and its claim.
struct memory_request {
  /// The row; its `claimed_at_ms` is kept in `claimed_at_ms` below.
  request_row row;

  /// When the request was last claimed, none if unclaimed; apart from the
  /// row because a claim at time 0 is a claim.
  std::optional<int64_t> claimed_at_ms;

  /// When its reply was stored (`reply_write::processed_at_ms`); 0 while
  /// unprocessed or unstamped.
  int64_t processed_at_ms = 0;
};

/// The message storage tables; ordered maps give the sorted results of the
/// interface for free.
struct memory_message_tables {
  /// Requests by id.
  std::map<int64_t, memory_request> requests;

  /// Request ids by (entity type, entity id, primary key).
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> keys;

  /// The ids of the requests without a reply, so that claims skip the rest.
  std::set<int64_t> unprocessed;

  /// The processed requests as (processed_at_ms, request_id), oldest first,
  /// so that expiry reads only what may be due.
  std::set<std::pair<int64_t, int64_t>> processed;

  /// Replies by request id.
  std::map<int64_t, reply_row> replies;

  /// Durable states by (entity type, entity id).
  std::map<std::pair<std::string, std::string>, std::string> states;
};

} // namespace internal

/// Every table of one in-memory storage; see memory_runner_driver.hpp.
class memory_runner_store {
public:
  /// Guards every member.
  std::mutex mtx;

  /// The cluster's shards per group, once a runner registered.
  std::optional<int32_t> shards_per_group;

  /// Runners by address.
  std::map<std::string, runner_row> runners;

  /// Leases by shard.
  std::map<std::string, lease_row> leases;

  /// The latest epoch of every shard ever granted.
  std::map<std::string, int64_t> epochs;

  /// The message storage tables.
  internal::memory_message_tables messages;
};

} // namespace caf_cluster::storage
