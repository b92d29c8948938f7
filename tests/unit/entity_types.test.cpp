// add_entity_types: which names an entity's types get, and that adding them
// twice or after a hand-picked name changes nothing.
#include <doctest/doctest.h>

#include <string>
#include <typeindex>

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/entity_types.hpp"

#include "common/bank_entity.hpp"

using namespace caf_cluster;

namespace {

std::string name_of(const caf::actor_system_config& cfg,
                    const std::type_info& x) {
  auto i = cfg.type_names_by_rtti.find(std::type_index{x});
  return i == cfg.type_names_by_rtti.end() ? "<none>" : i->second;
}

} // namespace

TEST_SUITE("caf_cluster.entity_types") {

  TEST_CASE("add_entity names each type by its inspect, else its C++ name") {
    cluster_config cfg;
    cfg.add_entity(bank::account);
    CHECK_EQ(name_of(cfg, typeid(bank::deposit)), "bank.deposit");
    CHECK_EQ(name_of(cfg, typeid(bank::account_state)), "bank::account_state");
    // Replies of builtin types need nothing.
    CHECK_EQ(name_of(cfg, typeid(int64_t)), "<none>");
  }

  TEST_CASE("add_entity keeps a name given first and may run twice") {
    cluster_config cfg;
    cfg.add_message_type<bank::deposit>("my.deposit");
    add_entity_types(cfg, bank::account);
    add_entity_types(cfg, bank::account);
    CHECK_EQ(name_of(cfg, typeid(bank::deposit)), "my.deposit");
    CHECK_EQ(name_of(cfg, typeid(bank::account_state)), "bank::account_state");
    CHECK_EQ(cfg.value_factories_by_name.count("bank.deposit"), 0u);
  }

  TEST_CASE("a name another type holds falls back to the C++ name") {
    cluster_config cfg;
    cfg.add_message_type<bank::account_state>("bank.deposit");
    cfg.add_entity(bank::account);
    CHECK_EQ(name_of(cfg, typeid(bank::deposit)), "bank::deposit");
  }

  TEST_CASE("demangled_name reads like the C++ source") {
    CHECK_EQ(detail::demangled_name(typeid(bank::deposit)), "bank::deposit");
  }
}
