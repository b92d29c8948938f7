#include "runner_main.hpp"

#include <chrono>
#include <csignal>
#include <future>
#include <iostream>
#include <pthread.h>

#include "caf/actor_system.hpp"

#include "caf_cluster/socket_transport.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"

namespace counter {

int run_runner(const std::string& program, int argc, char** argv,
               const std::vector<std::string>& extra_flags,
               const runner_prepare& prepare) {
  auto fail = [&](int code, const std::string& what) {
    std::cerr << program << ": " << what << std::endl;
    return code;
  };
  std::vector<std::string> names{"host", "port", "storage"};
  names.insert(names.end(), extra_flags.begin(), extra_flags.end());
  auto args = split_args(argc, argv, names);
  if (args.error)
    return fail(2, *args.error);
  if (!args.positional.empty())
    return fail(2, "unexpected argument '" + args.positional.front() + "'");
  auto host = args.flags.count("host") ? args.flags["host"] : "127.0.0.1";
  if (!args.flags.count("port"))
    return fail(2, "missing --port");
  if (!args.flags.count("storage"))
    return fail(2, "missing --storage (e.g. sqlite:/tmp/cluster.db)");
  auto setup = prepare(args);
  if (!setup)
    return fail(2, caf::to_string(setup.error()));
  // Signals are taken by sigwait below; CAF's threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  node_config cfg;
  if (auto err = parse_rest(cfg, args))
    return fail(2, caf::to_string(err));
  if (cfg.cli_helptext_printed)
    return 0;
  auto scfg = cfg.sharding();
  if (!scfg)
    return fail(2, caf::to_string(scfg.error()));
  scfg->runner_address = host + ":" + args.flags["port"];
  scfg->storage = args.flags["storage"];
  if (auto err = scfg->validate())
    return fail(2, caf::to_string(err));
  caf::actor_system sys{cfg};
  // Runner and message storage on one database: persisted messages and
  // durable state live next to the shard leases that fence their writes.
  auto drivers = caf_cluster::storage::open_cluster_storage(scfg->storage,
                                                            scfg->sqlite());
  if (!drivers)
    return fail(1, sys.render(drivers.error()));
  caf_cluster::runner_options opts;
  opts.storage = std::move(drivers->runners);
  opts.messages = std::move(drivers->messages);
  opts.transport = caf_cluster::make_socket_transport(sys);
  auto cluster = caf_cluster::sharding::make_runner(sys, std::move(*scfg),
                                                    std::move(opts));
  if (!cluster)
    return fail(1, sys.render(cluster.error()));
  if (auto err = (*setup)(*cluster))
    return fail(1, sys.render(err));
  std::cout << "ready " << cluster->config().runner_address << std::endl;
  // Woken by a signal, or by a drain request from storage (cluster-ctl
  // drain), after which the runner is leaving already.
  auto drained = cluster->shutdown_requested();
  const timespec poll{0, 100'000'000};
  while (sigtimedwait(&stop_signals, nullptr, &poll) < 0
         && drained.wait_for(std::chrono::seconds{0})
           != std::future_status::ready) {
    // Neither yet: poll again.
  }
  auto clean = cluster->await_shutdown(
    cluster->config().entity_termination_timeout + std::chrono::seconds{5});
  return clean ? 0 : 1;
}

} // namespace counter
