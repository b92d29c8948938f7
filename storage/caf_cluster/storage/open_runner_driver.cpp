#include "caf_cluster/storage/open_runner_driver.hpp"

#include "caf_cluster/storage/internal/postgres_storage.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
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
  if (parsed->type == storage_uri::kind::postgresql) {
    auto pool = internal::open_postgres_pool(parsed->postgres,
                                             opts.create_missing);
    if (!pool)
      return std::move(pool.error());
    return std::shared_ptr<runner_driver>{
      internal::make_postgres_runner_driver(std::move(*pool))};
  }
  opts.share_file = opts.share_file || parsed->share;
  auto driver = make_sqlite_runner_driver(parsed->path, opts);
  if (!driver)
    return std::move(driver.error());
  return std::shared_ptr<runner_driver>{std::move(*driver)};
}

caf::expected<cluster_storage> open_cluster_storage(std::string_view uri,
                                                    sqlite_options opts) {
  auto parsed = parse_storage_uri(uri);
  if (!parsed)
    return std::move(parsed.error());
  cluster_storage result;
  if (parsed->type == storage_uri::kind::memory) {
    auto store = make_memory_runner_store();
    result.runners = make_memory_runner_driver(store);
    result.messages = make_memory_message_driver(store);
    return result;
  }
  if (parsed->type == storage_uri::kind::postgresql) {
    // One pool for both: `?pool=N` bounds the runner's connections.
    auto pool = internal::open_postgres_pool(parsed->postgres,
                                             opts.create_missing);
    if (!pool)
      return std::move(pool.error());
    result.runners = internal::make_postgres_runner_driver(*pool);
    result.messages = internal::make_postgres_message_driver(*pool);
    return result;
  }
  opts.share_file = opts.share_file || parsed->share;
  auto runners = make_sqlite_runner_driver(parsed->path, opts);
  if (!runners)
    return std::move(runners.error());
  // Checked a moment ago by the first connection.
  opts.check_integrity = false;
  auto messages = make_sqlite_message_driver(parsed->path, opts);
  if (!messages)
    return std::move(messages.error());
  result.runners = std::move(*runners);
  result.messages = std::move(*messages);
  return result;
}

} // namespace caf_cluster::storage
