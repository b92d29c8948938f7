// The server processes of one remote run, managed by the parent: started
// from this program's `--serve` mode on free ports of 127.0.0.1, ready (and
// on caf-cluster settled: every shard leased to its owner on the ring)
// before the client starts, and stopped by pid with bounded waits afterwards,
// also when the benchmark exits early.
#pragma once

#include <string>
#include <vector>

#include "child_process.hpp"
#include "options.hpp"

namespace bench {

/// Server processes of one remote run (`opt.sizes.servers` of them).
class server_group {
public:
  /// Starts the servers for `s` (caf-cluster: runners sharing a SQLite file
  /// in a fresh temp dir; with `persisted`, also as their message storage,
  /// hosting the persisted counter) and waits until they serve; exits the
  /// program (stopping what it started) if that takes longer than 30 s.
  /// With `tls`, servers and clients use certificates of a test CA made in
  /// the group's temp dir.
  server_group(side s, const options& opt, bool persisted = false,
               bool tls = false);

  /// Stops every server and removes the temp dir.
  ~server_group();

  server_group(const server_group&) = delete;
  server_group& operator=(const server_group&) = delete;

  /// Returns the flags that point a client at these servers: `--servers`,
  /// on caf-cluster `--storage`, with TLS the client's `--cluster.tls.*`.
  std::vector<std::string> client_args() const;

  /// Points `opt` at these servers, for a client in this process.
  void apply(options& opt) const;

private:
  void await_settled(const options& opt);

  side side_;
  std::string dir_;
  std::string storage_;
  std::vector<started_process> procs_;
  std::vector<std::string> addresses_;
  std::vector<std::string> client_tls_;
};

} // namespace bench
