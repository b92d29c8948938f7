#include "multiprocess/cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <future>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/socket_transport.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/tls.hpp"
#include "caf_cluster/websocket_transport.hpp"

#include "counter_entity.hpp"

namespace caf_cluster::multiprocess {

const std::string programs::counter_node = CAF_CLUSTER_COUNTER_NODE;
const std::string programs::counter_cli = CAF_CLUSTER_COUNTER_CLI;
const std::string programs::cluster_ctl = CAF_CLUSTER_CLUSTER_CTL;
const std::string programs::services_node = CAF_CLUSTER_SERVICES_NODE;
const std::string programs::counter_local = CAF_CLUSTER_COUNTER_LOCAL;
const std::string programs::hostile_peer = CAF_CLUSTER_HOSTILE_PEER;

// -- runners ------------------------------------------------------------------

std::vector<std::string> test_transport_args() {
  auto value = std::getenv("CAF_CLUSTER_TEST_TRANSPORT");
  if (value == nullptr || *value == '\0')
    return {};
  return {std::string{"--cluster.transport="} + value};
}

std::vector<std::string> with_test_transport(std::vector<std::string> args) {
  auto transport = test_transport_args();
  args.insert(args.end(), transport.begin(), transport.end());
  return args;
}

void check_refused_starts(const std::string& storage,
                          const std::vector<refused_start>& cases) {
  for (auto& c : cases) {
    std::vector<std::string> args{"--port", std::to_string(pick_free_port()),
                                  "--storage", storage};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto res = run(programs::counter_node, args, 20s);
    REQUIRE(res.status);
    CHECK_MESSAGE(!res.status->exited_with(0), res.err);
    CHECK_MESSAGE(res.err.find(c.message) != std::string::npos, res.err);
    CHECK_MESSAGE(is_one_line(res.err), res.err);
  }
}

runner start_node(process_group& group, const std::string& storage,
                  uint16_t port, std::vector<std::string> extra,
                  clock_type::duration timeout, const std::string& program) {
  node_options opts;
  opts.port = port;
  opts.extra = std::move(extra);
  opts.timeout = timeout;
  opts.program = program;
  return start_node(group, storage, opts);
}

runner start_node(process_group& group, const std::string& storage,
                  const node_options& opts) {
  // A free port may be taken between picking and binding it; pick again
  // then, a few times. A fixed port is the caller's choice: no retry.
  const int attempts = opts.port == 0 ? 5 : 1;
  std::string last_error;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto p = opts.port != 0 ? opts.port : pick_free_port(opts.host);
    auto listen = opts.host + ":" + std::to_string(p);
    std::vector<std::string> args{"--storage", storage};
    if (opts.advertised.empty()) {
      args.insert(args.end(), {"--host", opts.host, "--port", std::to_string(p)});
    } else {
      args.push_back("--cluster.runner-address=" + opts.advertised);
      args.push_back("--cluster.runner-listen-address=" + listen);
    }
    args = with_test_transport(std::move(args));
    args.insert(args.end(), opts.extra.begin(), opts.extra.end());
    auto& proc = group.spawn(opts.program, args, opts.spawn);
    auto address = opts.advertised.empty() ? listen : opts.advertised;
    auto deadline = clock_type::now() + opts.timeout;
    auto line = proc.read_line(deadline);
    if (line && *line == "ready " + address)
      return runner{&proc, p, address, listen};
    proc.signal(SIGKILL);
    auto status = proc.wait(clock_type::now() + 5s);
    last_error = proc.command_line() + ": "
      + (line ? "printed '" + *line + "' instead of 'ready " + address + "'"
              : std::string{"no ready line"})
      + " (" + (status ? status->to_string() : "still running")
      + "), stderr: " + proc.err();
    if (proc.err().find("cannot listen") == std::string::npos)
      break;
  }
  throw std::runtime_error(last_error);
}

// -- shard table --------------------------------------------------------------

std::optional<shard_table> read_shards(const std::string& storage) {
  auto res = run(programs::cluster_ctl, {"shards", "--storage", storage}, 10s);
  if (!res.status || !res.status->exited_with(0))
    return std::nullopt;
  shard_table result;
  std::istringstream in{res.out};
  std::string line;
  std::getline(in, line); // "shard holder epoch expires-in-ms state"
  while (std::getline(in, line) && !line.empty()) {
    std::istringstream fields{line};
    std::string shard, holder, epoch, expires, state;
    fields >> shard >> holder >> epoch >> expires >> state;
    if (state == "held")
      result.holders[shard] = holder;
  }
  std::getline(in, line); // "runner held-shards"
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string address;
    int count = 0;
    if (fields >> address >> count)
      result.counts[address] = count;
  }
  return result;
}

namespace {

std::map<std::string, int> nonzero(const std::map<std::string, int>& counts) {
  std::map<std::string, int> result;
  for (auto& [address, count] : counts)
    if (count != 0)
      result.emplace(address, count);
  return result;
}

} // namespace

shard_table await_shard_counts(const std::string& storage,
                               const std::map<std::string, int>& expected,
                               clock_type::duration timeout) {
  auto deadline = clock_type::now() + timeout;
  shard_table last;
  for (;;) {
    if (auto table = read_shards(storage)) {
      last = std::move(*table);
      if (nonzero(last.counts) == nonzero(expected))
        return last;
    }
    if (clock_type::now() >= deadline)
      return last;
    std::this_thread::sleep_for(100ms);
  }
}

std::string to_string(const std::map<std::string, int>& counts) {
  std::string result;
  for (auto& [address, count] : counts) {
    if (!result.empty())
      result += ' ';
    result += address + "=" + std::to_string(count);
  }
  return result.empty() ? "(none)" : result;
}

// -- client_node --------------------------------------------------------------

struct client_node::impl {
  caf_cluster::cluster_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::optional<caf_cluster::sharding> cluster;
  std::optional<caf_cluster::entity_client<counter::counter_actor>> client;
};

client_node::client_node(const std::string& storage,
                         std::vector<std::string> caf_args)
  : impl_(new impl) {
  auto& cfg = impl_->cfg;
  caf_cluster::enable_socket_transport(cfg);
  cfg.add_entity(counter::counter_entity);
  auto transport_args = test_transport_args();
  caf_args.insert(caf_args.begin(), transport_args.begin(),
                  transport_args.end());
  if (auto err = cfg.parse(std::move(caf_args)))
    throw std::runtime_error("client_node: " + caf::to_string(err));
  auto scfg = cfg.sharding();
  if (!scfg)
    throw std::runtime_error("client_node: " + caf::to_string(scfg.error()));
  if (auto err = caf_cluster::enable_tls(cfg, *scfg))
    throw std::runtime_error("client_node: " + caf::to_string(err));
  impl_->sys = std::make_unique<caf::actor_system>(cfg);
  auto driver = caf_cluster::storage::open_runner_driver(storage);
  if (!driver)
    throw std::runtime_error("client_node: "
                             + impl_->sys->render(driver.error()));
  caf_cluster::runner_options opts;
  opts.storage = std::move(*driver);
  auto transport = caf_cluster::make_configured_transport(*impl_->sys, *scfg);
  if (!transport)
    throw std::runtime_error("client_node: "
                             + impl_->sys->render(transport.error()));
  opts.transport = std::move(*transport);
  opts.client_only = true;
  auto cluster = caf_cluster::sharding::make_runner(
    *impl_->sys, std::move(*scfg), std::move(opts));
  if (!cluster)
    throw std::runtime_error("client_node: "
                             + impl_->sys->render(cluster.error()));
  impl_->cluster = std::move(*cluster);
  impl_->client = impl_->cluster->make_client(counter::counter_entity);
}

client_node::~client_node() {
  // Handles go before the actor system (see sharding.hpp).
  impl_->client.reset();
  if (impl_->cluster) {
    impl_->cluster->shutdown();
    impl_->cluster->await_shutdown(10s);
    impl_->cluster.reset();
  }
  impl_->sys.reset();
}

caf::expected<int64_t> client_node::increment(const std::string& id,
                                              int64_t amount,
                                              caf::timespan timeout) {
  return impl_->client->ask(id, counter::increment{amount, {}}, timeout);
}

caf::expected<int64_t> client_node::increment(const std::string& id,
                                              int64_t amount,
                                              const std::string& key,
                                              caf::timespan timeout) {
  return impl_->client->ask(id, counter::increment{amount, key}, timeout);
}

void client_node::increment_at(const std::string& id, int64_t amount,
                               const std::string& key, int64_t deliver_at_ms) {
  impl_->client->tell_at(id, counter::increment{amount, key}, deliver_at_ms);
}

caf::expected<int64_t> client_node::get(const std::string& id,
                                        caf::timespan timeout) {
  return impl_->client->ask(id, counter::get_value{}, timeout);
}

caf_cluster::metrics_snapshot client_node::metrics() const {
  return impl_->cluster->metrics();
}

std::string client_node::shard_of(const std::string& id) {
  auto shard = impl_->cluster->shard_id(id);
  return shard ? caf_cluster::to_string(*shard) : "?";
}

std::string client_node::render(const caf::error& err) {
  return impl_->sys->render(err);
}

// -- recovery -----------------------------------------------------------------

recovery await_answers(client_node& client, const std::vector<std::string>& ids,
                       clock_type::time_point since,
                       clock_type::time_point deadline,
                       caf::timespan attempt_timeout) {
  struct outcome {
    std::optional<int64_t> value;
    clock_type::time_point at;
    std::string last_error;
  };
  // One thread per counter: a counter whose runner is gone must not delay
  // the others by its timeouts, so the measured time is the slowest one.
  std::vector<std::future<outcome>> pending;
  for (auto& id : ids)
    pending.push_back(
      std::async(std::launch::async, [&client, id, deadline, attempt_timeout] {
        outcome result;
        while (clock_type::now() < deadline) {
          auto value = client.get(id, attempt_timeout);
          if (value) {
            result.value = *value;
            result.at = clock_type::now();
            return result;
          }
          result.last_error = client.render(value.error());
          // An error that comes back at once (no runner serves the shard yet)
          // must not turn this into a busy loop.
          std::this_thread::sleep_for(20ms);
        }
        result.at = deadline;
        return result;
      }));
  recovery result;
  auto last = since;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto x = pending[i].get();
    if (x.value)
      result.values[ids[i]] = *x.value;
    else
      result.missing[ids[i]] = x.last_error;
    last = std::max(last, x.at);
  }
  result.seconds = seconds_between(since, last);
  return result;
}

} // namespace caf_cluster::multiprocess
