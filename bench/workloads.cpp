#include "workloads.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/sharding_config.hpp"

#include "counter.hpp"
#include "driver.hpp"
#include "environment.hpp"
#include "measure.hpp"
#include "remote.hpp"
#include "report.hpp"
#include "storage_workloads.hpp"

namespace bench {

namespace {

using actor_list = std::shared_ptr<std::vector<counter_actor>>;

// Request i goes to `actors[i % actors.size()]`, with the same timeout the
// cluster side uses.
struct bare_send {
  actor_list actors;
  caf::timespan timeout;

  template <class Self, class Done>
  void operator()(Self* self, int64_t i, Done done) const {
    auto& dest = (*actors)[static_cast<size_t>(i) % actors->size()];
    self->request(dest, timeout, add{1})
      .then([done](int64_t) { done(caf::error{}); },
            [done](caf::error& err) { done(err); });
  }
};

// Request i spawns actor i from the driver (as an entity manager spawns its
// entities) and sends it one message; `actors` keeps it alive.
struct bare_spawn_send {
  actor_list actors;
  caf::timespan timeout;

  template <class Self, class Done>
  void operator()(Self* self, int64_t i, Done done) const {
    auto dest = self->spawn(counter_impl);
    (*actors)[static_cast<size_t>(i)] = dest;
    self->request(dest, timeout, add{1})
      .then([done](int64_t) { done(caf::error{}); },
            [done](caf::error& err) { done(err); });
  }
};

actor_list spawn_counters(caf::actor_system& sys, int64_t n) {
  auto result = std::make_shared<std::vector<counter_actor>>();
  result->reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    result->push_back(sys.spawn(counter_impl));
  return result;
}

// Resident set size of this process, after returning free heap pages to the
// OS so that only live allocations count. The pause lets CAF's clock thread
// drop the request timeouts of drivers that just terminated (see `drive`).
int64_t resident_bytes() {
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  malloc_trim(0);
  long pages_total = 0;
  long pages_resident = 0;
  if (auto* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
      pages_resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

std::vector<double> sequential(environment& env, side s, const options& opt) {
  auto& n = opt.sizes;
  auto& sys = env.system();
  if (s == side::cluster)
    return measure_sequential(sys, cluster_send{env.client(),
                                                make_ids("seq-", 1)},
                              n.sequential_warmup, n.sequential_requests);
  return measure_sequential(sys,
                            bare_send{spawn_counters(sys, 1),
                                      send_timeout(sys)},
                            n.sequential_warmup, n.sequential_requests);
}

std::vector<double> concurrent(environment& env, side s, const options& opt) {
  auto& n = opt.sizes;
  auto& sys = env.system();
  if (s == side::cluster)
    return measure_concurrent(
      sys, cluster_send{env.client(), make_ids("con-", n.concurrent_entities)},
      n);
  return measure_concurrent(sys,
                            bare_send{spawn_counters(sys,
                                                     n.concurrent_entities),
                                      send_timeout(sys)},
                            n);
}

// Activation and memory: one message each to `activations` fresh entities.
// Returns activations/s, or resident bytes per entity if `memory` (the RSS
// readings trim the heap and pause, so they stay out of activation runs).
double activate(environment& env, side s, const options& opt, bool memory) {
  auto& n = opt.sizes;
  auto& sys = env.system();
  auto rss = [memory] { return memory ? resident_bytes() : int64_t{0}; };
  auto figure = [&](const driver_result& r, int64_t before, int64_t after) {
    if (memory)
      return static_cast<double>(after - before)
             / static_cast<double>(n.activations);
    return static_cast<double>(n.activations) / r.seconds;
  };
  if (s == side::cluster) {
    auto ids = make_ids("act-", n.activations);
    auto before = rss();
    auto r = drive(sys, cluster_send{env.client(), ids}, n.activations,
                   n.window, n.drivers);
    auto after = rss();
    require_ok(r, n.activations, "activation");
    auto snapshot = env.cluster().metrics();
    auto* m = snapshot.find(counter_entity.name());
    if (m == nullptr || m->resident != n.activations) {
      std::cerr << "cluster-bench: expected " << n.activations
                << " resident entities, found "
                << (m != nullptr ? m->resident : 0) << '\n';
      std::exit(1);
    }
    return figure(r, before, after);
  }
  auto timeout = send_timeout(sys);
  auto before = rss();
  // Created after the baseline: holding a handle per actor is part of what
  // keeping bare actors alive costs (the cluster's manager holds one too).
  auto actors = std::make_shared<std::vector<counter_actor>>(
    static_cast<size_t>(n.activations));
  auto r = drive(sys, bare_spawn_send{actors, timeout}, n.activations,
                 n.window, n.drivers);
  auto after = rss();
  require_ok(r, n.activations, "activation");
  return figure(r, before, after);
}

std::string with_commas(int64_t x) {
  return format_figure(static_cast<double>(x), figure_format::integer);
}

// The rate of a persisted workload; the raw side counts request rows.
std::string raw_rate_metric(const workload_sizes& n) {
  return "msg/s (raw: request rows/s, " + with_commas(n.storage_batch)
         + " per transaction)";
}

// The raw SQLiteCpp side of a persisted workload: as many request rows as
// the workload measures asks, over as many entities. Latencies it has not.
std::vector<double> persisted_ceiling(workload w, const workload_sizes& n) {
  if (w == workload::persisted_sequential)
    return {raw_request_ceiling(n.persisted_sequential_requests, 1,
                                n.storage_batch),
            -1, -1};
  return {raw_request_ceiling(n.concurrent_requests, n.concurrent_entities,
                              n.storage_batch)};
}

} // namespace

std::vector<metric> metrics_of(workload w, const workload_sizes& n) {
  switch (w) {
    case workload::sequential:
      return {{"msg/s", figure_format::integer},
              {"p50 latency (µs)", figure_format::one_decimal},
              {"p99 latency (µs)", figure_format::one_decimal}};
    case workload::concurrent:
      return {{"msg/s", figure_format::integer}};
    case workload::activation:
      return {{"activations/s", figure_format::integer}};
    case workload::memory:
      return {{"bytes per idle entity (RSS)", figure_format::integer}};
    case workload::remote_sequential:
    case workload::remote_sequential_tls:
      return metrics_of(workload::sequential, {});
    case workload::remote_concurrent:
    case workload::remote_concurrent_tls:
      return metrics_of(workload::concurrent, {});
    case workload::storage_requests:
    case workload::storage_replies:
      return storage_metrics(n);
    case workload::persisted_sequential:
      return {{raw_rate_metric(n), figure_format::integer},
              {"p50 latency (µs)", figure_format::one_decimal},
              {"p99 latency (µs)", figure_format::one_decimal}};
    case workload::persisted_concurrent:
      return {{raw_rate_metric(n), figure_format::integer}};
    case workload::workflow_throughput:
      return {{"workflows/s (baseline: persisted asks/s)",
               figure_format::integer},
              {"p50 latency (ms)", figure_format::one_decimal},
              {"p99 latency (ms)", figure_format::one_decimal}};
    case workload::workflow_replay:
      return {{"activities/s", figure_format::integer},
              {"p50 latency (ms)", figure_format::one_decimal},
              {"p99 latency (ms)", figure_format::one_decimal}};
  }
  return {};
}

std::string describe(workload w, const workload_sizes& n) {
  auto window = std::to_string(n.window) + " in flight from "
                + std::to_string(std::min(n.drivers, n.window)) + " driver"
                + (n.drivers > 1 ? "s" : "");
  switch (w) {
    case workload::sequential:
      return "sequential: " + with_commas(n.sequential_requests)
             + " asks on one entity, one in flight, after "
             + with_commas(n.sequential_warmup) + " warm-up asks";
    case workload::concurrent:
      return "concurrent: " + with_commas(n.concurrent_requests) + " asks over "
             + with_commas(n.concurrent_entities) + " entities, " + window
             + ", after activating them and " + with_commas(n.concurrent_warmup)
             + " warm-up asks";
    case workload::activation:
      return "activation: one ask each to " + with_commas(n.activations)
             + " fresh entities, " + window
             + " (bare CAF: the driver spawns each actor)";
    case workload::memory:
      return "memory: RSS delta over " + with_commas(n.activations)
             + " activated idle entities (malloc_trim before each reading)";
    case workload::remote_sequential:
      return "remote-sequential: " + with_commas(n.remote_sequential_requests)
             + " asks on one entity, one in flight, after "
             + with_commas(n.remote_sequential_warmup) + " warm-up asks; "
             + describe_remote_setup(n);
    case workload::remote_concurrent:
      return "remote-concurrent: " + with_commas(n.concurrent_requests)
             + " asks over " + with_commas(n.concurrent_entities)
             + " entities, " + window + ", after activating them and "
             + with_commas(n.concurrent_warmup) + " warm-up asks; "
             + describe_remote_setup(n);
    case workload::remote_sequential_tls:
    case workload::remote_concurrent_tls:
      return std::string{to_string(w)}
             + ": as the workload without -tls, with mutual TLS (TLS 1.3 "
               "on OpenSSL 3, EC P-256 certificates) on every connection";
    case workload::storage_requests:
    case workload::storage_replies:
      return describe_storage(w, n);
    case workload::persisted_sequential:
      return "persisted-sequential: "
             + with_commas(n.persisted_sequential_requests)
             + " persisted asks (add, stored with the counter's durable int64 "
               "state) on one entity, one in flight, after "
             + with_commas(n.persisted_sequential_warmup) + " warm-up asks; "
             + describe_persisted_setup(n);
    case workload::persisted_concurrent:
      return "persisted-concurrent: " + with_commas(n.concurrent_requests)
             + " persisted asks over " + with_commas(n.concurrent_entities)
             + " entities, " + window + ", after activating them and "
             + with_commas(n.concurrent_warmup) + " warm-up asks; "
             + describe_persisted_setup(n);
    case workload::workflow_throughput:
      return "workflow-throughput: " + with_commas(n.workflow_requests)
             + " executions of a workflow with 3 activities, " + window
             + " (each waits for its outcome; latency = execute to outcome), "
               "after "
             + with_commas(n.workflow_warmup)
             + " warm-up executions; baseline: as many persisted asks over "
             + with_commas(n.concurrent_entities)
             + " entities on the same runners; " + describe_workflow_setup(n);
    case workload::workflow_replay:
      return "workflow-replay: " + with_commas(n.replay_workflows)
             + " executions of " + with_commas(n.replay_steps)
             + " activities each (advance j replays the j - 1 recorded steps "
               "before it), "
             + window + "; baseline: "
             + with_commas(n.replay_workflows * n.replay_steps)
             + " executions of one activity (nothing to replay); the same "
               "runners as workflow-throughput";
  }
  return "";
}

void run_workload(workload w, side s, const options& opt,
                  const figures_sink& sink) {
  if (is_remote(w)) {
    run_remote_workload(w, s, opt, sink);
    return;
  }
  if (is_storage(w)) {
    run_storage_workload(w, s, opt, sink);
    return;
  }
  if (is_workflow(w)) {
    run_workflow_workload(w, s, opt, sink);
    return;
  }
  if (is_persisted(w)) {
    if (s == side::cluster)
      run_remote_workload(w, s, opt, sink);
    else
      sink(persisted_ceiling(w, opt.sizes));
    return;
  }
  environment env{opt, s};
  switch (w) {
    case workload::sequential:
      sink(sequential(env, s, opt));
      break;
    case workload::concurrent:
      sink(concurrent(env, s, opt));
      break;
    case workload::activation:
      sink({activate(env, s, opt, false)});
      break;
    case workload::memory:
      sink({activate(env, s, opt, true)});
      break;
    default:
      break;
  }
}

} // namespace bench
