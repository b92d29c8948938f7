#include "servers.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/hash_ring.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

namespace bench {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto ready_timeout = seconds{30};
constexpr auto settle_timeout = seconds{30};
// The runners' graceful leave is bounded by 10 s of their own (see `serve`).
constexpr auto stop_grace = seconds{15};

// Servers and temp dirs alive right now, for the exit handler: an early
// exit (a failed run calls std::exit) must not leave them behind.
struct live_set {
  std::mutex mtx;
  std::vector<pid_t> pids;
  std::vector<std::string> dirs;
};

live_set& live() {
  static live_set instance;
  return instance;
}

void stop_all_live() {
  auto& l = live();
  std::vector<pid_t> pids;
  std::vector<std::string> dirs;
  {
    std::lock_guard<std::mutex> guard{l.mtx};
    pids.swap(l.pids);
    dirs.swap(l.dirs);
  }
  for (auto pid : pids)
    stop_process(pid, stop_grace);
  for (auto& dir : dirs) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

template <class T>
void forget(std::vector<T>& xs, const T& x) {
  xs.erase(std::remove(xs.begin(), xs.end(), x), xs.end());
}

// Certificates of a throw-away CA for a TLS run, by the project's script.
void make_test_certificates(const std::string& dir) {
  auto proc = start_process({"/bin/bash", CAF_CLUSTER_MAKE_TEST_CA, dir});
  std::string line;
  std::string last;
  // To the end of its output, which is its exit.
  while (read_line(proc.out_fd, ready_timeout, line))
    last = line;
  close(proc.out_fd);
  int status = 0;
  waitpid(proc.pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0
      || last.rfind(dir, 0) != 0)
    die("scripts/make-test-ca.sh " + dir + " failed");
}

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

} // namespace

server_group::server_group(side s, const options& opt, bool persisted,
                           bool tls)
  : side_(s) {
  static std::once_flag once;
  std::call_once(once, [] {
    // Constructed first, so that it is destroyed after the handler ran.
    live();
    std::atexit(stop_all_live);
  });
  std::vector<std::string> args{self_path(), "--serve", flag_name(s),
                                "--parent", std::to_string(getpid())};
  if (s == side::cluster || tls) {
    dir_ = make_temp_dir();
    std::lock_guard<std::mutex> guard{live().mtx};
    live().dirs.push_back(dir_);
  }
  if (tls) {
    make_test_certificates(dir_);
    auto flags = [&](const char* name) {
      return std::vector<std::string>{
        "--cluster.tls.ca-file=" + dir_ + "/ca.pem",
        "--cluster.tls.cert-file=" + dir_ + "/" + name + ".pem",
        "--cluster.tls.key-file=" + dir_ + "/" + name + ".key"};
    };
    auto runner = flags("runner");
    args.insert(args.end(), runner.begin(), runner.end());
    client_tls_ = flags("client");
  }
  if (s == side::cluster) {
    if (opt.database.empty()) {
      storage_ = "sqlite:" + dir_ + "/runners.db";
    } else {
      // Persisted rows of an earlier group would be claimed by this one.
      static int groups = 0;
      storage_ = opt.database
                 + (opt.database.find('?') == std::string::npos ? "?" : "&")
                 + "schema=bench_" + std::to_string(getpid()) + "_"
                 + std::to_string(++groups);
    }
    args.emplace_back("--storage");
    args.push_back(storage_);
    if (persisted)
      args.emplace_back("--persisted");
  }
  args.insert(args.end(), opt.caf_args.begin(), opt.caf_args.end());
  for (int64_t i = 0; i < opt.sizes.servers; ++i) {
    auto proc = start_process(args);
    {
      std::lock_guard<std::mutex> guard{live().mtx};
      live().pids.push_back(proc.pid);
    }
    procs_.push_back(proc);
  }
  for (auto& proc : procs_) {
    std::string line;
    if (!read_line(proc.out_fd, ready_timeout, line)
        || line.rfind("ready ", 0) != 0)
      die(std::string{"a "} + to_string(s) + " server (pid "
          + std::to_string(proc.pid) + ") did not get ready within 30 s");
    addresses_.push_back(line.substr(6));
  }
  if (s == side::cluster)
    await_settled(opt);
}

server_group::~server_group() {
  for (auto& proc : procs_) {
    {
      std::lock_guard<std::mutex> guard{live().mtx};
      forget(live().pids, proc.pid);
    }
    // All at once: the runners leave in parallel.
    kill(proc.pid, SIGTERM);
  }
  for (auto& proc : procs_) {
    if (!stop_process(proc.pid, stop_grace))
      std::cerr << "cluster-bench: server " << proc.pid
                << " did not stop cleanly\n";
    close(proc.out_fd);
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::lock_guard<std::mutex> guard{live().mtx};
    forget(live().dirs, dir_);
  }
}

std::vector<std::string> server_group::client_args() const {
  std::string list;
  for (auto& addr : addresses_)
    list += (list.empty() ? "" : ",") + addr;
  std::vector<std::string> result{"--servers", list};
  if (!storage_.empty()) {
    result.emplace_back("--storage");
    result.push_back(storage_);
  }
  result.insert(result.end(), client_tls_.begin(), client_tls_.end());
  return result;
}

void server_group::apply(options& opt) const {
  opt.servers = addresses_;
  opt.storage = storage_;
  opt.caf_args.insert(opt.caf_args.end(), client_tls_.begin(),
                      client_tls_.end());
}

// Measuring while shards move would time routing retries (100 ms each), so
// wait until every runner is live and every shard is leased to the runner
// the hash ring picks for it, as each runner computes it.
void server_group::await_settled(const options& opt) {
  caf_cluster::cluster_config cfg;
  if (auto err = cfg.parse(opt.caf_args))
    die(caf::to_string(err), 2);
  auto scfg = cfg.sharding();
  if (!scfg)
    die(caf::to_string(scfg.error()), 2);
  auto driver = caf_cluster::storage::open_runner_driver(storage_);
  if (!driver)
    die(caf::to_string(driver.error()));
  auto lease_ms
    = std::chrono::duration_cast<milliseconds>(scfg->lease_duration).count();
  auto& group = scfg->shard_groups.front();
  auto deadline = std::chrono::steady_clock::now() + settle_timeout;
  std::string last = "no runner is live";
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = wall_ms();
    auto runners = (*driver)->live_runners(now, lease_ms);
    auto leases = (*driver)->leases();
    if (runners && leases) {
      std::vector<caf_cluster::ring_node> nodes;
      for (auto& r : *runners)
        if (std::find(addresses_.begin(), addresses_.end(), r.address)
            != addresses_.end())
          nodes.push_back(caf_cluster::ring_node{r.address, r.weight});
      auto ring = caf_cluster::assign_shards(nodes, scfg->shards_per_group);
      int32_t placed = 0;
      for (auto& row : *leases) {
        auto shard = caf_cluster::parse_shard_id(row.shard);
        if (row.expires_at_ms > now && shard && shard->group == group
            && shard->index >= 1 && shard->index <= scfg->shards_per_group
            && ring[static_cast<size_t>(shard->index - 1)] == row.runner)
          ++placed;
      }
      if (nodes.size() == addresses_.size() && placed == scfg->shards_per_group)
        return;
      last = std::to_string(nodes.size()) + " of "
             + std::to_string(addresses_.size()) + " runners live, "
             + std::to_string(placed) + " of "
             + std::to_string(scfg->shards_per_group)
             + " shards leased to their owner";
    }
    std::this_thread::sleep_for(milliseconds{20});
  }
  die("the runners did not settle within 30 s: " + last);
}

} // namespace bench
