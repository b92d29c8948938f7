// bank-demo: one process serving every shard; deposits into alice's account
// and prints the balance. The balance is kept in bank-demo.db in the current
// directory (or --cluster.storage=sqlite:<path>): each run adds 100.
#include <iostream>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/version.hpp"

#include "bank_account.hpp"

int main(int argc, char** argv) {
  caf_cluster::cluster_config cfg;
  bank::add_account_types(cfg);
  cfg.set("cluster.storage", "sqlite:bank-demo.db");
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "bank-demo: " << caf::to_string(err) << '\n';
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  caf::actor_system sys{cfg};
  auto cluster = caf_cluster::sharding::make(sys);
  if (!cluster) {
    std::cerr << "bank-demo: " << sys.render(cluster.error()) << '\n';
    return 1;
  }
  if (auto err = cluster->register_entity(bank::account_entity,
                                          bank::account_impl)) {
    std::cerr << "bank-demo: " << sys.render(err) << '\n';
    return 1;
  }
  auto client = cluster->make_client(bank::account_entity);
  auto balance = client.ask("alice", bank::deposit{100, {}});
  if (!balance) {
    std::cerr << "bank-demo: " << sys.render(balance.error()) << '\n';
    return 1;
  }
  std::cout << "caf-cluster " << caf_cluster::version() << ": alice has "
            << *balance << '\n';
  cluster->await_shutdown(std::chrono::seconds{5});
  return 0;
}
