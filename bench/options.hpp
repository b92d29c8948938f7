// Command line of cluster-bench: our own flags (runs, workload selection,
// sizes) are taken out of argv; everything else goes to CAF's own parser, so
// `--scheduler.policy=stealing` or `--cluster.shards-per-group=64` just work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

/// The workloads, in the order they run and print. The `remote_*` ones run
/// the client in one process against two server processes on 127.0.0.1; the
/// `storage_*` ones save message storage rows into a fresh SQLite file; the
/// `persisted_*` ones ask a persisted entity with durable state the way the
/// `remote_*` ones do, its runners sharing one SQLite file for runner and
/// message storage. The `*_tls` ones are the `remote_*` ones with mutual TLS
/// on every connection (certificates of a test CA made per run).
enum class workload {
  sequential,
  concurrent,
  activation,
  memory,
  remote_sequential,
  remote_concurrent,
  remote_sequential_tls,
  remote_concurrent_tls,
  storage_requests,
  storage_replies,
  persisted_sequential,
  persisted_concurrent,
  workflow_throughput,
  workflow_replay,
};

/// Returns whether `x` talks to server processes.
bool is_remote(workload x);

/// Returns whether `x` runs its connections over mutual TLS.
bool is_tls(workload x);

/// Returns whether `x` measures message storage: caf-cluster's storage
/// writer and SQLite driver against raw SQLiteCpp instead of bare CAF.
bool is_storage(workload x);

/// Returns whether `x` asks persisted entities: caf-cluster runners with
/// message storage against the raw SQLiteCpp ceiling instead of bare CAF.
bool is_persisted(workload x);

/// Returns whether `x` executes durable workflows: caf-cluster runners with
/// message storage (as for the persisted workloads) hosting the benchmark's
/// workflow; their other side is a baseline on the same runners (persisted
/// asks, or workflows of one activity that replay nothing).
bool is_workflow(workload x);

/// Returns the name of `x` as used by `--workload`.
const char* to_string(workload x);

/// Which runtime a measurement uses.
enum class side { cluster, bare };

/// Returns `cluster` or `bare`, as `--side` spells it.
const char* flag_name(side x);

/// Returns `caf-cluster` or `bare CAF`.
const char* to_string(side x);

/// Sizes of the workloads.
struct workload_sizes {
  /// Sequential: requests after the warm-up.
  int64_t sequential_requests = 200'000;
  /// Sequential: warm-up requests (they also activate the entity).
  int64_t sequential_warmup = 20'000;
  /// Concurrent: requests measured.
  int64_t concurrent_requests = 100'000;
  /// Concurrent: distinct entities (all activated during the warm-up).
  int64_t concurrent_entities = 1'000;
  /// Concurrent: warm-up requests on top of one per entity.
  int64_t concurrent_warmup = 10'000;
  /// Activation and memory: fresh entities.
  int64_t activations = 100'000;
  /// Requests in flight in the concurrent, activation and memory workloads.
  int64_t window = 100;
  /// Driver actors sharing that window.
  int64_t drivers = 4;
  /// Remote sequential: requests after the warm-up (a round trip over
  /// loopback costs about 100x an in-process one).
  int64_t remote_sequential_requests = 20'000;
  /// Remote sequential: warm-up requests.
  int64_t remote_sequential_warmup = 2'000;
  /// Remote workloads: server processes (runners, or bare CAF servers).
  int64_t servers = 2;
  /// Storage: rows saved with `window` saves in flight (raw SQLiteCpp:
  /// in transactions of `storage_batch` rows).
  int64_t storage_rows = 100'000;
  /// Storage: rows saved one at a time (raw: one transaction per row).
  int64_t storage_sequential_rows = 20'000;
  /// Storage: distinct entities the rows go to.
  int64_t storage_entities = 1'000;
  /// Storage, raw SQLiteCpp: rows per transaction in the batched run (also
  /// the raw ceiling of the persisted workloads).
  int64_t storage_batch = 1'000;
  /// Persisted sequential: asks after the warm-up (each one stores its
  /// request, then its reply and state, in two commits).
  int64_t persisted_sequential_requests = 5'000;
  /// Persisted sequential: warm-up asks.
  int64_t persisted_sequential_warmup = 500;
  /// Workflow throughput: executions measured (3 activities each), and as
  /// many persisted asks on the other side.
  int64_t workflow_requests = 5'000;
  /// Workflow workloads: unmeasured executions (or asks) first.
  int64_t workflow_warmup = 500;
  /// Workflow replay: activities per execution (execution i's advance j
  /// replays j - 1 recorded steps).
  int64_t replay_steps = 20;
  /// Workflow replay: executions of `replay_steps` activities measured; the
  /// other side runs `replay_steps` times as many of one activity.
  int64_t replay_workflows = 250;
};

/// Parsed command line.
struct options {
  /// Fresh actor systems per workload and side.
  int runs = 5;
  /// Smaller counts for a smoke run.
  bool quick = false;
  /// Selected workloads, in run order.
  std::vector<workload> workloads;
  /// Selected sides (both unless `--side` says otherwise).
  std::vector<side> sides;
  /// Sizes derived from `quick` and the size flags.
  workload_sizes sizes;
  /// Arguments for CAF's parser (without `argv[0]`).
  std::vector<std::string> caf_args;
  /// `--help` was given: print usage and exit.
  bool help = false;
  /// Run every measurement in this process instead of a fresh child process
  /// (for profilers such as callgrind).
  bool in_process = false;
  /// Internal: this process is a child that runs one measurement, of
  /// `workloads[0]` on `sides[0]`, and prints its figures.
  bool child = false;
  /// Internal: this process is a server of a remote workload for
  /// `sides[0]`; it prints `ready <host>:<port>` and serves until SIGTERM.
  bool serve = false;
  /// Internal: the pid of the parent that started this server or child; it
  /// exits when that parent is gone.
  long parent_pid = 0;
  /// Internal, remote workloads: the servers' addresses, `host:port`.
  std::vector<std::string> servers;
  /// Internal, remote workloads on caf-cluster: the runner storage URI.
  std::string storage;
  /// `--database`: a `postgresql://` location (without `schema=`) that the
  /// persisted and workflow workloads use instead of a fresh SQLite file,
  /// each server group in a fresh schema of its own; empty = SQLite.
  std::string database;
  /// Internal: this server hosts the persisted counter, with message storage
  /// on the file of `storage` (the persisted workloads).
  bool persisted = false;
};

/// Parses `argv`. Returns false and sets `err` on a bad flag of ours; CAF's
/// flags are checked later by CAF itself.
bool parse_options(int argc, char** argv, options& out, std::string& err);

/// Our part of `--help`.
std::string usage();

} // namespace bench
