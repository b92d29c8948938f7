#include "environment.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "caf/atom.hpp"
#include "caf/scheduler/abstract_coordinator.hpp"

namespace bench {

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "cluster-bench: " << what << '\n';
  std::exit(2);
}

} // namespace

environment::environment(const options& opt, side s)
  : cfg_(std::make_unique<caf_cluster::cluster_config>()) {
  cfg_->add_entity(counter_entity);
  if (auto err = cfg_->parse(opt.caf_args))
    die(caf::to_string(err));
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  if (s == side::bare)
    return;
  auto cluster = caf_cluster::sharding::make(*sys_);
  if (!cluster)
    die(sys_->render(cluster.error()));
  cluster_.emplace(std::move(*cluster));
  if (auto err = cluster_->register_entity(counter_entity, counter_impl))
    die(sys_->render(err));
}

environment::~environment() {
  if (cluster_) {
    if (!cluster_->await_shutdown(std::chrono::minutes{1}))
      std::cerr << "cluster-bench: sharding did not stop within 1 min\n";
    cluster_.reset();
  }
  sys_.reset();
}

bool check_caf_flags(const options& opt, bool& help_printed) {
  caf_cluster::cluster_config cfg;
  help_printed = false;
  if (auto err = cfg.parse(opt.caf_args)) {
    std::cerr << "cluster-bench: " << caf::to_string(err) << '\n';
    return false;
  }
  if (cfg.cli_helptext_printed) {
    help_printed = true;
    return false;
  }
  if (auto sh = cfg.sharding(); !sh) {
    std::cerr << "cluster-bench: " << caf::to_string(sh.error()) << '\n';
    return false;
  }
  return true;
}

std::string describe_scheduler(const options& opt) {
  caf_cluster::cluster_config cfg;
  if (cfg.parse(opt.caf_args))
    return "?";
  caf::actor_system sys{cfg};
  auto policy = caf::get_or(cfg, "scheduler.policy", caf::atom("stealing"));
  return "scheduler.policy=" + caf::to_string(policy) + ", "
         + std::to_string(sys.scheduler().num_workers()) + " worker threads";
}

} // namespace bench
