// The common part of the multi-process fixtures: a temporary directory, the
// cluster's storage (a SQLite file there, or a PostgreSQL schema in a
// PostgreSQL run), the runner processes started on it, an
// in-process client, and the wait until the runners share the shards evenly.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "multiprocess/cluster.hpp"
#include "multiprocess/process.hpp"
#include "multiprocess/test_storage.hpp"

namespace caf_cluster::multiprocess {

struct runner_fixture {
  // Members go in reverse: the client first, then the processes (killed),
  // then the storage (a PostgreSQL schema is dropped), then the directory.
  temp_dir dir;
  test_storage db{dir};
  std::string storage = db.uri();
  process_group procs;
  std::vector<runner> runners;
  std::unique_ptr<client_node> client;

  /// Starts `n` runners on free ports.
  void start(int n) {
    for (int i = 0; i < n; ++i)
      runners.push_back(start_node(procs, storage));
  }

  /// `count` shards for each runner in `members`.
  static std::map<std::string, int> even(const std::vector<runner>& members,
                                         int count) {
    std::map<std::string, int> result;
    for (auto& r : members)
      result[r.address] = count;
    return result;
  }

  /// Waits until the runners hold the 300 shards evenly.
  shard_table settle(clock_type::duration timeout = 15s) {
    auto expected = even(runners, 300 / static_cast<int>(runners.size()));
    auto start = clock_type::now();
    auto table = await_shard_counts(storage, expected, timeout);
    MESSAGE("shards settled after " << seconds_between(start, clock_type::now())
                                    << " s: " << to_string(table.counts));
    // Runners that died before hold nothing but stay listed with 0.
    std::map<std::string, int> holding;
    for (auto& [address, count] : table.counts)
      if (count != 0)
        holding.emplace(address, count);
    REQUIRE(to_string(holding) == to_string(expected));
    return table;
  }
};

} // namespace caf_cluster::multiprocess
