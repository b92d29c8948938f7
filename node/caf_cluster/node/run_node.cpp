#include "caf_cluster/node/run_node.hpp"

#include <chrono>
#include <csignal>
#include <ctime>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <pthread.h>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/gateway/http_api.hpp"
#include "caf_cluster/gateway/http_tls.hpp"
#include "caf_cluster/gateway/runner_gateway.hpp"
#include "caf_cluster/node/internal/command_line.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/socket_transport.hpp"
#include "caf_cluster/tls.hpp"

namespace caf_cluster {

namespace {

// Gives run_node the declared options (protected in CAF 0.17) for the help
// and for telling CAF's flags from unknown ones.
struct node_config : cluster_config {
  const caf::config_option_set& options() const {
    return custom_options_;
  }
};

// Wake-ups other than a signal that make a runner leave.
bool leave_requested(sharding& cluster) {
  // Set once storage asked this runner to drain (cluster-ctl drain): the
  // runtime is already leaving, the process follows.
  auto drained = cluster.shutdown_requested();
  return drained.valid()
         && drained.wait_for(std::chrono::seconds{0})
              == std::future_status::ready;
}

// Waits for SIGTERM or SIGINT (blocked in `signals`), looking at the other
// wake-up sources every 100 ms.
void wait_for_leave(const sigset_t& signals, sharding& cluster) {
  const timespec tick{0, 100'000'000};
  for (;;) {
    auto sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT)
      return;
    if (leave_requested(cluster))
      return;
  }
}

// The text of a usage error: the message alone when it has one, else the
// error rendered by its category's renderer (never CAF's `error(10, ...)`).
std::string usage_text(const caf::actor_system_config& cfg,
                       const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  auto i = cfg.error_renderers.find(err.category());
  if (i != cfg.error_renderers.end())
    return i->second(err.code(), err.category(), ctx);
  return caf::actor_system_config::render(err);
}

} // namespace

int run_node(int argc, char** argv, const node_program& program) {
  auto fail = [&](int code, const std::string& what) {
    std::cerr << program.name << ": " << what << std::endl;
    return code;
  };
  node_config cfg;
  enable_socket_transport(cfg);
  if (program.configure)
    program.configure(cfg);
  auto cl = internal::split_command_line(argc, argv, program, cfg.options());
  if (cl.help) {
    internal::print_help(std::cout, program, cfg.options());
    return node_exit_ok;
  }
  if (cl.error)
    return fail(node_exit_usage, *cl.error);
  auto& args = cl.args;
  if (program.client_only)
    cfg.set("cluster.client-only", true);
  std::vector<char*> caf_argv;
  for (auto& x : cl.caf_args)
    caf_argv.push_back(x.data());
  if (auto err = cfg.parse(static_cast<int>(caf_argv.size()), caf_argv.data()))
    return fail(node_exit_usage, usage_text(cfg, err));
  if (cfg.cli_helptext_printed)
    return node_exit_ok;
  // The built-in flags win over the same cluster options.
  if (args.has("storage"))
    cfg.set("cluster.storage", args.get("storage"));
  if (args.has("port"))
    cfg.set("cluster.runner-address",
            args.get("host", "127.0.0.1") + ":" + args.get("port"));
  else if (args.has("host"))
    return fail(node_exit_usage, "--host needs --port");
  auto scfg = cfg.sharding();
  if (!scfg)
    return fail(node_exit_usage, usage_text(cfg, scfg.error()));
  auto runner = internal::is_runner(program);
  if (runner && !scfg->client_only && scfg->runner_address.empty())
    return fail(node_exit_usage,
                "missing --port (or cluster.runner-address, or "
                "--cluster.client-only); see "
                  + program.name + " --help");
  if (program.check)
    if (auto err = program.check(args))
      return fail(node_exit_usage, usage_text(cfg, err));
  if (auto err = enable_tls(cfg, *scfg))
    return fail(node_exit_usage, usage_text(cfg, err));
  // Read before the runtime starts: a bad file is a usage error. The gateway
  // is handed this token (as cluster.http-token), so the file is read once.
  std::optional<std::string> http_token;
  if (!scfg->http_token_file.empty()) {
    auto token = gateway::read_token_file(scfg->http_token_file);
    if (!token)
      return fail(node_exit_usage, usage_text(cfg, token.error()));
    http_token = std::move(*token);
  }
  if (!scfg->http_tls_certificate.empty())
    if (auto err = gateway::check_http_tls_files(scfg->http_tls_certificate,
                                                 scfg->http_tls_key))
      return fail(node_exit_usage, usage_text(cfg, err));
  // Blocked before CAF starts its threads, which inherit the mask, so the
  // signals reach only sigtimedwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  if (runner)
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  caf::actor_system sys{cfg};
  auto cluster = sharding::make(sys);
  if (!cluster)
    return fail(node_exit_failure, sys.render(cluster.error()));
  auto leave_timeout = cluster->config().entity_termination_timeout
                       + std::chrono::seconds{5};
  if (!runner) {
    auto code = program.run(*cluster, args);
    cluster->await_shutdown(leave_timeout);
    return code;
  }
  if (program.start)
    if (auto err = program.start(*cluster, args))
      return fail(node_exit_failure, sys.render(err));
  // Declared after the cluster: it goes first, while the runtime still
  // answers its metrics, and keeps reporting "not ready" during the leave.
  std::unique_ptr<gateway::runner_gateway> http;
  if (!cluster->config().http_listen.empty()) {
    auto name = cluster->config().client_only
                  ? std::string{"client-only"}
                  : cluster->config().runner_address;
    auto api = std::make_shared<gateway::http_api>(*cluster);
    if (program.http)
      program.http(*api, args);
    auto gateway_cfg = cluster->config();
    if (http_token) {
      gateway_cfg.http_token = std::move(*http_token);
      gateway_cfg.http_token_file.clear();
    }
    auto started = gateway::runner_gateway::start(*cluster, gateway_cfg,
                                                  std::move(name),
                                                  std::move(api));
    if (!started) {
      cluster->shutdown();
      cluster->await_shutdown(leave_timeout);
      return fail(node_exit_failure, sys.render(started.error()));
    }
    http = std::move(*started);
  }
  if (cluster->config().client_only)
    std::cout << "ready client-only" << std::endl;
  else
    std::cout << "ready " << cluster->config().runner_address << std::endl;
  wait_for_leave(signals, *cluster);
  return cluster->await_shutdown(leave_timeout) ? node_exit_ok
                                                 : node_exit_failure;
}

} // namespace caf_cluster
