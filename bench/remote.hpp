// The remote workloads: a client process asks counters that live in two
// server processes on 127.0.0.1. On caf-cluster the servers are runners
// sharing one SQLite runner storage and the client is a client-only node;
// on bare CAF each server publishes one counter actor keyed by entity id and
// the client picks the server by a hash of the id, as sharding would. The
// persisted workloads ask a persisted counter the same way, its runners
// sharing the SQLite file for message storage too.
#pragma once

#include <string>

#include "options.hpp"
#include "workloads.hpp"

namespace bench {

/// Main of a server process (`--serve cluster|bare`): listens on a free
/// port of 127.0.0.1, prints `ready 127.0.0.1:<port>` and serves until
/// SIGTERM or SIGINT (or the death of `--parent`). With `--persisted` a
/// runner also opens message storage on its runner storage's file and hosts
/// the persisted counter instead. Returns the exit code.
int serve(const options& opt);

/// Runs remote workload `w` once on side `s` from this process against the
/// servers in `opt.servers` (caf-cluster: the runners of `opt.storage`) and
/// passes its figures to `sink`; also the caf-cluster side of a persisted
/// workload (asks to the persisted counter).
void run_remote_workload(workload w, side s, const options& opt,
                         const figures_sink& sink);

/// Runs workflow workload `w` once from this process against the runners of
/// `opt.storage`: on side `cluster` the workflows, on side `bare` the
/// baseline (persisted asks, or workflows of one activity), and passes the
/// figures (rate, p50 and p99 latency in ms) to `sink`.
void run_workflow_workload(workload w, side s, const options& opt,
                           const figures_sink& sink);

/// Describes the processes and storage of a workflow run, for the report.
std::string describe_workflow_setup(const workload_sizes& sizes);

/// Describes the processes of a remote run, for the report.
std::string describe_remote_setup(const workload_sizes& sizes);

/// Describes the processes and storage of a persisted run, for the report.
std::string describe_persisted_setup(const workload_sizes& sizes);

} // namespace bench
