#include "caf_cluster/detail/entity_types.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <typeindex>

#include <cxxabi.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/uniform_type_info_map.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::detail {

std::string demangled_name(const std::type_info& x) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> buf{
    abi::__cxa_demangle(x.name(), nullptr, nullptr, &status), std::free};
  return status == 0 && buf ? std::string{buf.get()} : std::string{x.name()};
}

std::string unique_type_name(const caf::actor_system_config& cfg,
                             const char* preferred, const std::type_info& x) {
  if (preferred != nullptr && *preferred != '\0'
      && cfg.value_factories_by_name.count(preferred) == 0)
    return preferred;
  return demangled_name(x);
}

caf::error check_entity_types(caf::actor_system& sys,
                              const std::string& entity_type,
                              const std::vector<const std::type_info*>& types) {
  std::vector<std::string> names;
  for (auto ti : types) {
    auto& name = sys.types().portable_name(0, ti);
    if (!name.empty() && name != "???")
      continue;
    auto readable = demangled_name(*ti);
    if (std::find(names.begin(), names.end(), readable) == names.end())
      names.push_back(std::move(readable));
  }
  if (names.empty())
    return caf::none;
  std::string missing;
  for (auto& x : names)
    missing += (missing.empty() ? "" : ", ") + x;
  return caf::make_error(
    errc::invalid_config,
    "entity type '" + entity_type
      + "' uses types not added to the actor system configuration: " + missing
      + "; call caf_cluster::add_entity_types(cfg, def) (or "
        "cfg.add_entity(def) on a cluster_config) in every process before "
        "the actor system starts");
}

} // namespace caf_cluster::detail
