#include "caf_cluster/storage/open_runner_driver.hpp"

#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"
#include "caf_cluster/storage/storage_uri.hpp"

namespace caf_cluster::storage {

caf::expected<std::shared_ptr<runner_driver>>
open_runner_driver(std::string_view uri, sqlite_options opts) {
  auto parsed = parse_storage_uri(uri);
  if (!parsed)
    return std::move(parsed.error());
  if (parsed->type == storage_uri::kind::memory)
    return std::shared_ptr<runner_driver>{make_memory_runner_driver()};
  auto driver = make_sqlite_runner_driver(parsed->path, opts);
  if (!driver)
    return std::move(driver.error());
  return std::shared_ptr<runner_driver>{std::move(*driver)};
}

} // namespace caf_cluster::storage
