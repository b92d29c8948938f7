#include "remote.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/publish.hpp"
#include "caf/openssl/remote_actor.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/string_algorithms.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/runner_address.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/socket_transport.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/tls.hpp"
#include "caf_cluster/websocket_transport.hpp"

#include "caf_cluster/workflow/client.hpp"
#include "caf_cluster/workflow/engine.hpp"

#include "child_process.hpp"
#include "counter.hpp"
#include "flow.hpp"
#include "measure.hpp"
#include "report.hpp"

namespace bench {

namespace {

/// Protocol of a bare CAF server: the counters of every entity id it serves.
/// - `(id, add)` -> `int64_t`: adds to counter `id`, returns its new value.
using registry_actor
  = caf::typed_actor<caf::replies_to<std::string, add>::with<int64_t>>;

struct registry_state {
  std::unordered_map<std::string, int64_t> values;
  static inline const char* name = "bench.registry";
};

registry_actor::behavior_type
registry_impl(registry_actor::stateful_pointer<registry_state> self) {
  return {
    [=](const std::string& id, add x) {
      return self->state.values[id] += x.amount;
    },
  };
}

using server_list = std::shared_ptr<const std::vector<registry_actor>>;

// Request i goes to the server of `ids[i % ids.size()]` (a hash of the id
// picks it). Without a CAF request timeout, like every hop of the cluster
// path (the client's router and the runners' managers enforce the send
// timeout themselves): in CAF 0.17 a finite one wakes the clock thread per
// request, which made remote round trips 25-50 us slower here.
struct bare_remote_send {
  server_list servers;
  id_list ids;

  template <class Self, class Done>
  void operator()(Self* self, int64_t i, Done done) const {
    auto& id = (*ids)[static_cast<size_t>(i) % ids->size()];
    auto& dest = (*servers)[std::hash<std::string>{}(id) % servers->size()];
    self->request(dest, caf::infinite, id, add{1})
      .then([done](int64_t) { done(caf::error{}); },
            [done](caf::error& err) { done(err); });
  }
};

// Every process of a remote run: cluster_config defaults (as in-process),
// the middleman, the benchmark's message type and the user's CAF flags.
std::unique_ptr<caf_cluster::cluster_config> make_config(const options& opt) {
  auto cfg = std::make_unique<caf_cluster::cluster_config>();
  caf_cluster::enable_socket_transport(*cfg);
  cfg->add_entity(persisted_counter_entity);
  add_bench_flow_types(*cfg);
  if (auto err = cfg->parse(opt.caf_args))
    die(caf::to_string(err), 2);
  auto scfg = cfg->sharding();
  if (!scfg)
    die(caf::to_string(scfg.error()), 2);
  if (auto err = caf_cluster::enable_tls(*cfg, *scfg))
    die(caf::to_string(err), 2);
  return cfg;
}

caf_cluster::sharding_config sharding_config_of(caf::actor_system& sys) {
  auto result = caf_cluster::read_sharding_config(sys.config());
  if (!result)
    die(sys.render(result.error()), 2);
  return std::move(*result);
}

// The transport cluster.transport names (--transport).
std::shared_ptr<caf_cluster::transport>
transport_of(caf::actor_system& sys) {
  auto result
    = caf_cluster::make_configured_transport(sys, sharding_config_of(sys));
  if (!result)
    die(sys.render(result.error()), 2);
  return std::move(*result);
}

std::shared_ptr<caf_cluster::storage::runner_driver>
open_storage(caf::actor_system& sys, const std::string& uri) {
  auto result = caf_cluster::storage::open_runner_driver(uri);
  if (!result)
    die(sys.render(result.error()));
  return std::move(*result);
}

// The storage of a runner: runner storage at `opt.storage`, and for a server
// of a persisted workload message storage on the same database, as
// counter-node opens it.
caf_cluster::storage::cluster_storage open_runner_storage(caf::actor_system& sys,
                                                          const options& opt) {
  if (!opt.persisted)
    return {open_storage(sys, opt.storage), nullptr};
  auto result = caf_cluster::storage::open_cluster_storage(opt.storage);
  if (!result)
    die(sys.render(result.error()));
  return std::move(*result);
}

// A port of 127.0.0.1 that was free a moment ago (runner addresses need the
// port up front; the caller retries if someone took it meanwhile).
uint16_t free_port() {
  auto fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0
      || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    die("cannot find a free port on 127.0.0.1");
  close(fd);
  return ntohs(addr.sin_port);
}

// Requests without timeout wait forever for a server that died; this ends
// the client instead (the cluster side retries and fails within its send
// timeout on its own).
caf::behavior watch_servers(caf::event_based_actor* self, server_list servers,
                            std::vector<std::string> addresses) {
  for (auto& hdl : *servers)
    self->monitor(hdl);
  self->set_down_handler([addresses](caf::down_msg& dm) {
    std::cerr << "cluster-bench: a bare CAF server of ("
              << caf::join(addresses, ", ")
              << ") went down: " << caf::to_string(dm.reason) << std::endl;
    std::_Exit(1);
  });
  return {
    [](caf::ok_atom) {
      // nop: the actor only waits for down messages
    },
  };
}

// The runtime of the client process: a client-only sharding node, or
// remote_actor handles of the bare CAF servers.
class remote_client {
public:
  remote_client(const options& opt, side s) : cfg_(make_config(opt)) {
    sys_ = std::make_unique<caf::actor_system>(*cfg_);
    if (opt.servers.empty())
      die("a remote workload needs its servers (--servers)");
    if (s == side::cluster) {
      caf_cluster::runner_options ro;
      ro.storage = open_storage(*sys_, opt.storage);
      ro.transport = transport_of(*sys_);
      ro.client_only = true;
      auto cluster = caf_cluster::sharding::make_runner(
        *sys_, sharding_config_of(*sys_), std::move(ro));
      if (!cluster)
        die(sys_->render(cluster.error()));
      cluster_.emplace(std::move(*cluster));
      return;
    }
    auto servers = std::make_shared<std::vector<registry_actor>>();
    for (auto& text : opt.servers) {
      auto addr = caf_cluster::parse_runner_address(text);
      if (!addr)
        die(sys_->render(addr.error()));
      auto hdl = sys_->has_openssl_manager()
                   ? caf::openssl::remote_actor<registry_actor>(
                     *sys_, addr->host, addr->port)
                   : sys_->middleman().remote_actor<registry_actor>(
                     addr->host, addr->port);
      if (!hdl)
        die("cannot reach " + text + ": " + sys_->render(hdl.error()));
      servers->push_back(std::move(*hdl));
    }
    servers_ = std::move(servers);
    watchdog_ = sys_->spawn(watch_servers, servers_, opt.servers);
  }

  ~remote_client() {
    if (watchdog_)
      caf::anon_send_exit(watchdog_, caf::exit_reason::user_shutdown);
    if (cluster_ && !cluster_->await_shutdown(std::chrono::minutes{1}))
      std::cerr << "cluster-bench: sharding did not stop within 1 min\n";
    cluster_.reset();
    servers_.reset();
    sys_.reset();
  }

  remote_client(const remote_client&) = delete;
  remote_client& operator=(const remote_client&) = delete;

  caf::actor_system& system() noexcept {
    return *sys_;
  }

  caf_cluster::entity_client<counter_actor> client() const {
    return cluster_->make_client(counter_entity);
  }

  caf_cluster::entity_client<counter_actor> persisted_client() const {
    return cluster_->make_client(persisted_counter_entity);
  }

  caf_cluster::workflow::client<flow_input, int64_t, caf::error>
  flow_client() const {
    return caf_cluster::workflow::engine{*cluster_}.make_client(bench_flow);
  }

  const server_list& servers() const noexcept {
    return servers_;
  }

private:
  std::unique_ptr<caf_cluster::cluster_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::optional<caf_cluster::sharding> cluster_;
  server_list servers_;
  caf::actor watchdog_;
};

} // namespace

int serve(const options& opt) {
  // Graceful on the parent's death too: SIGTERM lands in the sigwait below.
  exit_with_parent(opt.parent_pid, SIGTERM);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // Before CAF starts its threads, so that they inherit the mask.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto cfg = make_config(opt);
  caf::actor_system sys{*cfg};
  std::optional<caf_cluster::sharding> cluster;
  std::string address;
  if (opt.sides[0] == side::bare) {
    auto registry = sys.spawn(registry_impl);
    auto port = sys.has_openssl_manager()
                  ? caf::openssl::publish(registry, 0, "127.0.0.1", false)
                  : sys.middleman().publish(registry, 0, "127.0.0.1", false);
    if (!port)
      die("cannot publish on 127.0.0.1: " + sys.render(port.error()));
    address = "127.0.0.1:" + std::to_string(*port);
  } else {
    auto scfg = sharding_config_of(sys);
    auto storage = open_runner_storage(sys, opt);
    for (int attempt = 1; !cluster; ++attempt) {
      scfg.runner_address = "127.0.0.1:" + std::to_string(free_port());
      caf_cluster::runner_options ro;
      ro.storage = storage.runners;
      ro.messages = storage.messages;
      ro.transport = transport_of(sys);
      auto runner = caf_cluster::sharding::make_runner(sys, scfg,
                                                       std::move(ro));
      if (runner)
        cluster.emplace(std::move(*runner));
      else if (runner.error() != caf_cluster::errc::runner_unavailable
               || attempt == 5)
        die(sys.render(runner.error()));
    }
    auto err = opt.persisted
                 ? cluster->register_entity(persisted_counter_entity,
                                            counter_impl)
                 : cluster->register_entity(counter_entity, counter_impl);
    if (err)
      die(sys.render(err));
    // The workflow workloads run on the persisted workloads' runners.
    if (opt.persisted)
      if (auto err = add_bench_flow(*cluster))
        die(sys.render(err));
    address = scfg.runner_address;
  }
  std::cout << "ready " << address << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  auto clean = true;
  if (cluster)
    clean = cluster->await_shutdown(std::chrono::seconds{10});
  // No teardown of the actor system: a published actor or a stuck proxy
  // would keep the process alive, and the parent only waits so long.
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(clean ? 0 : 1);
}

void run_remote_workload(workload w, side s, const options& opt,
                         const figures_sink& sink) {
  remote_client env{opt, s};
  auto& n = opt.sizes;
  auto& sys = env.system();
  auto persisted = is_persisted(w);
  auto sequential = w == workload::remote_sequential
                    || w == workload::remote_sequential_tls
                    || w == workload::persisted_sequential;
  auto ids = sequential ? make_ids("seq-", 1)
                        : make_ids("con-", n.concurrent_entities);
  auto measure = [&](const auto& send) {
    if (sequential && persisted)
      return measure_sequential(sys, send, n.persisted_sequential_warmup,
                                n.persisted_sequential_requests);
    if (sequential)
      return measure_sequential(sys, send, n.remote_sequential_warmup,
                                n.remote_sequential_requests);
    return measure_concurrent(sys, send, n);
  };
  if (s == side::cluster)
    sink(measure(cluster_send{persisted ? env.persisted_client()
                                        : env.client(),
                              ids}));
  else
    sink(measure(bare_remote_send{env.servers(), ids}));
}

namespace {

// Request i executes workflow `prefix<i>` with `steps` activities and waits
// for its outcome (a failed execution counts as an error).
struct flow_send {
  caf_cluster::workflow::client<flow_input, int64_t, caf::error> client;
  std::string prefix;
  int32_t steps = 3;
  caf::timespan timeout;

  template <class Self, class Done>
  void operator()(Self* self, int64_t i, Done done) const {
    client.execute(
      self, flow_input{prefix + std::to_string(i), steps}, timeout,
      [done](const auto& result) {
        done(result.ok() ? caf::error{} : caf::error{result.error()});
      },
      [done](const caf::error& err) { done(err); });
  }
};

// Rate, p50 and p99 (ms) of `count` requests through `send` with the
// window of the concurrent workloads, after `warmup` unmeasured ones.
template <class Send>
std::vector<double> measure_window(caf::actor_system& sys, const Send& send,
                                   int64_t warmup, int64_t count,
                                   const workload_sizes& n, int64_t per_request,
                                   const char* what) {
  require_ok(drive(sys, send, warmup, n.window, n.drivers), warmup, what);
  auto r = drive(sys, send, count, n.window, n.drivers, true);
  require_ok(r, count, what);
  return {static_cast<double>(count * per_request) / r.seconds,
          percentile_us(r.latencies_ns, 0.50) / 1000.0,
          percentile_us(r.latencies_ns, 0.99) / 1000.0};
}

} // namespace

void run_workflow_workload(workload w, side s, const options& opt,
                           const figures_sink& sink) {
  remote_client env{opt, side::cluster};
  auto& n = opt.sizes;
  auto& sys = env.system();
  auto timeout = std::chrono::duration_cast<caf::timespan>(
    std::chrono::minutes{2});
  auto flows = [&](const char* prefix, int32_t steps) {
    return flow_send{env.flow_client(), prefix, steps, timeout};
  };
  if (w == workload::workflow_throughput) {
    if (s == side::cluster) {
      // Warm-up and measured executions have distinct keys: fresh ones.
      sink(measure_window(sys, flows("warm-", 3), n.workflow_warmup,
                          n.workflow_requests, n, 1, "workflow-throughput"));
      return;
    }
    sink(measure_window(sys,
                        cluster_send{env.persisted_client(),
                                     make_ids("con-",
                                              n.concurrent_entities)},
                        n.workflow_warmup, n.workflow_requests, n, 1,
                        "workflow-throughput baseline"));
    return;
  }
  auto k = static_cast<int32_t>(n.replay_steps);
  if (s == side::cluster)
    sink(measure_window(sys, flows("replay-", k), n.workflow_warmup / k + 1,
                        n.replay_workflows, n, k, "workflow-replay"));
  else
    sink(measure_window(sys, flows("single-", 1), n.workflow_warmup,
                        n.replay_workflows * k, n, 1,
                        "workflow-replay baseline"));
}

std::string describe_workflow_setup(const workload_sizes& n) {
  auto count = std::to_string(n.servers);
  auto many = n.servers > 1;
  return "a client-only node in a client process on 127.0.0.1 against "
         + count + " runner process" + (many ? "es" : "")
         + ", fresh per run, sharing one fresh SQLite file (WAL, "
           "synchronous=NORMAL) for runner and message storage, hosting "
           "workflow BenchFlow (entity group, activities that return their "
           "index) and the persisted counter; measured once every shard is "
           "leased to its owner";
}

std::string describe_remote_setup(const workload_sizes& n) {
  auto count = std::to_string(n.servers);
  auto many = n.servers > 1;
  return "a client process on 127.0.0.1 against " + count + " server process"
         + (many ? "es" : "")
         + ", fresh per run (caf-cluster: a client-only node and " + count
         + " runner" + (many ? "s" : "")
         + " sharing a SQLite runner storage, measured once every shard is "
           "leased to its owner; bare CAF: remote_actor handles of "
         + count + " process" + (many ? "es" : "")
         + " that each publish one counter actor keyed by id, the server "
           "picked by a hash of the id, requests without CAF timeout)";
}

std::string describe_persisted_setup(const workload_sizes& n) {
  auto count = std::to_string(n.servers);
  auto many = n.servers > 1;
  return "a client-only node in a client process on 127.0.0.1 against "
         + count + " runner process" + (many ? "es" : "")
         + ", fresh per run, sharing one fresh SQLite file (WAL, "
           "synchronous=NORMAL) for runner and message storage "
           "(open_cluster_storage); each ask's request is stored before "
           "delivery and its reply with the counter's state after, through "
           "the runner's group-commit storage writer; measured once every "
           "shard is leased to its owner; raw = SQLiteCpp inserting as many "
           "request rows into a fresh file, "
         + format_figure(static_cast<double>(n.storage_batch),
                         figure_format::integer)
         + " per transaction (the storage-requests ceiling)";
}

} // namespace bench
