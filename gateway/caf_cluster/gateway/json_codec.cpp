#include "caf_cluster/gateway/json_codec.hpp"

#include <map>
#include <mutex>

namespace caf_cluster::gateway {

namespace {

struct field_registry {
  std::mutex mtx;
  std::map<std::type_index, std::vector<std::string>> names;
};

field_registry& registry() {
  static field_registry instance;
  return instance;
}

} // namespace

void declare_fields(std::type_index type, std::vector<std::string> names) {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mtx};
  r.names[type] = std::move(names);
}

const std::vector<std::string>* declared_fields(std::type_index type) {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mtx};
  auto i = r.names.find(type);
  // Entries are never erased, so the pointer stays valid; a replacement
  // happens only before the gateway starts.
  return i == r.names.end() ? nullptr : &i->second;
}

} // namespace caf_cluster::gateway
