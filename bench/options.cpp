#include "options.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace bench {

namespace {

bool parse_int(const std::string& text, int64_t min, int64_t& out) {
  if (text.empty())
    return false;
  char* end = nullptr;
  auto value = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || value < min)
    return false;
  out = value;
  return true;
}

const std::vector<workload>& all_workloads() {
  static const std::vector<workload> result{
    workload::sequential,        workload::concurrent,
    workload::activation,        workload::memory,
    workload::remote_sequential, workload::remote_concurrent,
    workload::remote_sequential_tls, workload::remote_concurrent_tls,
    workload::storage_requests,  workload::storage_replies,
    workload::persisted_sequential, workload::persisted_concurrent,
    workload::workflow_throughput, workload::workflow_replay};
  return result;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in{text};
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      result.push_back(item);
  return result;
}

bool parse_workloads(const std::string& text, std::vector<workload>& out) {
  std::istringstream in{text};
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name == "all") {
      out = all_workloads();
      continue;
    }
    bool found = false;
    for (auto x : all_workloads())
      if (name == to_string(x)) {
        if (std::find(out.begin(), out.end(), x) == out.end())
          out.push_back(x);
        found = true;
      }
    if (!found)
      return false;
  }
  return true;
}

} // namespace

const char* to_string(workload x) {
  switch (x) {
    case workload::sequential:
      return "sequential";
    case workload::concurrent:
      return "concurrent";
    case workload::activation:
      return "activation";
    case workload::memory:
      return "memory";
    case workload::remote_sequential:
      return "remote-sequential";
    case workload::remote_concurrent:
      return "remote-concurrent";
    case workload::remote_sequential_tls:
      return "remote-sequential-tls";
    case workload::remote_concurrent_tls:
      return "remote-concurrent-tls";
    case workload::storage_requests:
      return "storage-requests";
    case workload::storage_replies:
      return "storage-replies";
    case workload::persisted_sequential:
      return "persisted-sequential";
    case workload::persisted_concurrent:
      return "persisted-concurrent";
    case workload::workflow_throughput:
      return "workflow-throughput";
    case workload::workflow_replay:
      return "workflow-replay";
  }
  return "?";
}

bool is_remote(workload x) {
  return x == workload::remote_sequential || x == workload::remote_concurrent
         || is_tls(x);
}

bool is_tls(workload x) {
  return x == workload::remote_sequential_tls
         || x == workload::remote_concurrent_tls;
}

bool is_storage(workload x) {
  return x == workload::storage_requests || x == workload::storage_replies;
}

bool is_persisted(workload x) {
  return x == workload::persisted_sequential
         || x == workload::persisted_concurrent;
}

bool is_workflow(workload x) {
  return x == workload::workflow_throughput || x == workload::workflow_replay;
}

const char* flag_name(side x) {
  return x == side::cluster ? "cluster" : "bare";
}

const char* to_string(side x) {
  return x == side::cluster ? "caf-cluster" : "bare CAF";
}

std::string usage() {
  return R"(usage: cluster-bench [options] [CAF options]

Each workload runs --runs times on caf-cluster and on a bare CAF stateful
typed actor, each run in a fresh actor system; prints medians as markdown.
The remote workloads start server processes on 127.0.0.1 for every run
(caf-cluster runners sharing a SQLite runner storage in a temp dir, or bare
CAF processes that publish a counter actor keyed by id) and measure from a
client process (a client-only caf-cluster node, or remote_actor handles);
the remote-*-tls ones do the same with mutual TLS on every connection
(cluster.tls.* on caf-cluster, CAF's OpenSSL module on bare CAF), with
certificates made per run by scripts/make-test-ca.sh.
The storage workloads save rows into a fresh SQLite file through
caf-cluster's group-commit writer and SQLite message driver; their other
side, in place of bare CAF, is raw SQLiteCpp on the same table (the ceiling).
The persisted workloads ask a persisted entity with durable state from a
client process, as the remote ones do, its runners sharing one SQLite file
for runner and message storage; their other side is raw SQLiteCpp inserting
as many request rows in transactions of 1,000 (the ceiling).
The workflow workloads execute durable workflows on the persisted workloads'
runners: workflow-throughput executions of 3 activities each against as
many persisted asks (the baseline), workflow-replay executions of 20
activities (each advance replays the steps before it) against 20 times as
many executions of one activity (no replay).

  --runs N            runs per workload and side (default 5)
  --quick             10x smaller counts, for a smoke run
  --workload NAMES    comma list of sequential, concurrent, activation,
                      memory, remote-sequential, remote-concurrent,
                      remote-sequential-tls, remote-concurrent-tls,
                      storage-requests, storage-replies,
                      persisted-sequential, persisted-concurrent,
                      workflow-throughput, workflow-replay, all
                      (default all; may repeat)
  --side NAME         cluster, bare or both (default both), e.g. to profile
  --requests N        measured asks in every request workload (default
                      200,000 sequential, 100,000 concurrent,
                      remote-concurrent and persisted-concurrent, 20,000
                      remote-sequential, 5,000 persisted-sequential and
                      workflow-throughput, 250 workflow-replay executions;
                      storage: 100,000 rows with the window in flight,
                      20,000 one at a time; --quick: a tenth)
  --entities N        fresh entities in activation and memory (default
                      100,000; --quick: 10,000)
  --window N          requests in flight in concurrent, activation, memory,
                      remote-concurrent, persisted-concurrent and storage
                      (default 100)
  --drivers N         driver actors sharing that window (default 4)
  --replay-steps N    activities per execution in workflow-replay
                      (default 20)
  --server-processes N
                      servers of the remote and persisted workloads
                      (default 2)
  --database URI      run the persisted and workflow workloads on this
                      PostgreSQL database (postgresql://USER@HOST:PORT/DB,
                      password from PGPASSWORD or ?password-file=) instead
                      of a fresh SQLite file: each server group creates a
                      schema bench_<pid>_<n> of its own, left behind
  --transport NAME    socket, websocket or http (default socket): how the
                      caf-cluster side's processes of the remote and
                      persisted workloads reach each other (the bare side
                      always uses CAF's BASP; the -tls workloads need socket)
  --in-process        run every measurement in this process (for profilers;
                      servers of remote workloads still are processes); by
                      default each one runs in a fresh child process, so
                      no heap left over by an earlier run skews the next
  --help              this text, then CAF's options

CAF options pass through, e.g. --scheduler.policy=stealing,
--scheduler.max-threads=2, --cluster.shards-per-group=64.
)";
}

bool parse_options(int argc, char** argv, options& out, std::string& err) {
  int64_t window = -1;
  int64_t requests = -1;
  int64_t entities = -1;
  int64_t drivers = -1;
  std::string side_name = "both";
  workload child_workload = workload::sequential;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    // Accepts both `--flag value` and `--flag=value` for our flags.
    auto value_of = [&](const std::string& flag, std::string& value) {
      if (arg == flag) {
        if (i + 1 >= argc) {
          err = flag + " needs a value";
          return false;
        }
        value = argv[++i];
        return true;
      }
      if (arg.rfind(flag + "=", 0) == 0) {
        value = arg.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    std::string value;
    if (arg == "--quick") {
      out.quick = true;
    } else if (arg == "--help" || arg == "-h") {
      out.help = true;
      out.caf_args.emplace_back("--help");
    } else if (arg == "--in-process") {
      out.in_process = true;
    } else if (value_of("--child", value)) {
      // Internal (WORKLOAD:SIDE): set by the parent; last one wins.
      auto colon = value.find(':');
      std::vector<workload> ws;
      if (colon == std::string::npos
          || !parse_workloads(value.substr(0, colon), ws) || ws.size() != 1) {
        err = "bad --child '" + value + "'";
        return false;
      }
      out.child = true;
      child_workload = ws[0];
      side_name = value.substr(colon + 1);
    } else if (value_of("--serve", value)) {
      // Internal (SIDE): a server process of a remote workload.
      out.serve = true;
      side_name = value;
    } else if (value_of("--parent", value)) {
      int64_t pid = 0;
      if (!parse_int(value, 1, pid)) {
        err = "bad --parent '" + value + "'";
        return false;
      }
      out.parent_pid = static_cast<long>(pid);
    } else if (arg == "--persisted") {
      // Internal: a server of a persisted workload.
      out.persisted = true;
    } else if (value_of("--servers", value)) {
      out.servers = split_list(value);
    } else if (value_of("--storage", value)) {
      out.storage = value;
    } else if (value_of("--database", value)) {
      if (value.rfind("postgresql://", 0) != 0
          && value.rfind("postgres://", 0) != 0) {
        err = "--database needs a postgresql:// location, got '" + value + "'";
        return false;
      }
      if (value.find("schema=") != std::string::npos) {
        err = "--database takes no schema=: every server group gets a fresh one";
        return false;
      }
      out.database = value;
    } else if (value_of("--runs", value)) {
      int64_t n = 0;
      if (!parse_int(value, 1, n)) {
        err = "--runs needs a positive integer, got '" + value + "'";
        return false;
      }
      out.runs = static_cast<int>(n);
    } else if (value_of("--workload", value)) {
      if (!parse_workloads(value, out.workloads)) {
        err = "unknown workload in '" + value + "'";
        return false;
      }
    } else if (value_of("--side", value)) {
      side_name = value;
    } else if (value_of("--window", value)) {
      if (!parse_int(value, 1, window)) {
        err = "--window needs a positive integer, got '" + value + "'";
        return false;
      }
    } else if (value_of("--requests", value)) {
      if (!parse_int(value, 1, requests)) {
        err = "--requests needs a positive integer, got '" + value + "'";
        return false;
      }
    } else if (value_of("--entities", value)) {
      if (!parse_int(value, 1, entities)) {
        err = "--entities needs a positive integer, got '" + value + "'";
        return false;
      }
    } else if (value_of("--server-processes", value)) {
      if (!parse_int(value, 1, out.sizes.servers)) {
        err = "--server-processes needs a positive integer, got '" + value
              + "'";
        return false;
      }
    } else if (value_of("--replay-steps", value)) {
      if (!parse_int(value, 1, out.sizes.replay_steps)) {
        err = "--replay-steps needs a positive integer, got '" + value + "'";
        return false;
      }
    } else if (value_of("--transport", value)) {
      if (value != "socket" && value != "websocket" && value != "http") {
        err = "--transport must be socket, websocket or http, got '" + value
              + "'";
        return false;
      }
      // The caf-cluster side's servers and clients all read it from there.
      out.caf_args.push_back("--cluster.transport=" + value);
    } else if (value_of("--drivers", value)) {
      if (!parse_int(value, 1, drivers)) {
        err = "--drivers needs a positive integer, got '" + value + "'";
        return false;
      }
    } else if (err.empty()) {
      out.caf_args.push_back(arg);
    }
    if (!err.empty())
      return false;
  }
  if (out.child)
    out.workloads = {child_workload};
  if (out.workloads.empty())
    out.workloads = all_workloads();
  if (out.serve && side_name == "both") {
    err = "--serve needs cluster or bare";
    return false;
  }
  if (side_name == "both")
    out.sides = {side::cluster, side::bare};
  else if (side_name == "cluster")
    out.sides = {side::cluster};
  else if (side_name == "bare")
    out.sides = {side::bare};
  else {
    err = "--side must be cluster, bare or both, got '" + side_name + "'";
    return false;
  }
  auto& s = out.sizes;
  if (out.quick) {
    s.sequential_requests /= 10;
    s.sequential_warmup /= 10;
    s.concurrent_requests /= 10;
    s.concurrent_warmup /= 10;
    s.activations /= 10;
    s.remote_sequential_requests /= 10;
    s.remote_sequential_warmup /= 10;
    s.storage_rows /= 10;
    s.storage_sequential_rows /= 10;
    s.persisted_sequential_requests /= 10;
    s.persisted_sequential_warmup /= 10;
    s.workflow_requests /= 10;
    s.workflow_warmup /= 10;
    s.replay_workflows /= 10;
  }
  if (requests > 0)
    s.sequential_requests = s.concurrent_requests
      = s.remote_sequential_requests = s.storage_rows
      = s.storage_sequential_rows = s.persisted_sequential_requests
      = s.workflow_requests = s.replay_workflows = requests;
  if (entities > 0)
    s.activations = entities;
  if (window > 0)
    s.window = window;
  if (drivers > 0)
    s.drivers = drivers;
  if (s.drivers > s.window) {
    err = "--drivers must not exceed --window";
    return false;
  }
  return true;
}

} // namespace bench
