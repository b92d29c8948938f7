#include "storage_session.hpp"

#include <chrono>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/storage/postgres_message_driver.hpp"
#include "caf_cluster/storage/postgres_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"
#include "caf_cluster/storage/storage_uri.hpp"
#include "caf_cluster/wall_clock.hpp"

#include "cli.hpp"

namespace cluster_ctl {

int64_t default_lease_duration_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           caf_cluster::sharding_config{}.lease_duration)
    .count();
}

void add_storage_option(CLI::App& cmd, storage_options& opts) {
  cmd
    .add_option("--storage", opts.storage,
                "the cluster's runner storage, sqlite:PATH or "
                "postgresql://[USER@]HOST[:PORT]/DB[?OPTIONS] (required; the "
                "password from PGPASSWORD, ?password-file=PATH or ~/.pgpass)")
    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void add_lease_option(CLI::App& cmd, storage_options& opts) {
  cmd
    .add_option("--lease-duration-ms", opts.lease_duration_ms,
                "a runner is live while its heartbeat is younger (default "
                  + std::to_string(default_lease_duration_ms())
                  + ", cluster.lease-duration)")
    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void add_json_option(CLI::App& cmd, storage_options& opts) {
  cmd.add_flag("--json", opts.json,
               "print one JSON document instead of text (fields in README)");
}

std::optional<int> open_storage(const std::string& name,
                                const storage_options& opts,
                                storage_access access, storage_session& out) {
  namespace fs = std::filesystem;
  using caf_cluster::storage::storage_uri;
  out.lease_ms = default_lease_duration_ms();
  if (opts.lease_duration_ms) {
    auto value = parse_positive_int64(*opts.lease_duration_ms);
    if (!value)
      return usage_error("--lease-duration-ms must be a whole number from 1 "
                         "to 9223372036854775807, got '"
                         + *opts.lease_duration_ms + "'");
    out.lease_ms = *value;
  }
  if (opts.storage.empty())
    return usage_error(name + " needs --storage sqlite:PATH or "
                              "postgresql://...");
  auto uri = caf_cluster::storage::parse_storage_uri(opts.storage);
  if (!uri)
    return usage_error(error_text(uri.error()));
  if (uri->type == storage_uri::kind::memory)
    return usage_error("--storage memory lives inside one runner process and "
                       "cannot be inspected: use --storage sqlite:PATH or "
                       "postgresql://...");
  if (uri->type == storage_uri::kind::postgresql) {
    // Never creates a schema: a typo must not leave an empty one behind.
    auto shown = *uri;
    shown.postgres.password_file.clear();
    out.path = to_string(shown);
    out.postgres_uri = opts.storage;
    auto driver = caf_cluster::storage::make_postgres_runner_driver(
      opts.storage, false);
    if (!driver)
      return runtime_error("cannot open '" + out.path
                           + "': " + error_text(driver.error()));
    out.driver = std::move(*driver);
    out.now_ms = caf_cluster::system_wall_clock{}.now_ms();
    return std::nullopt;
  }
  // The SQLite driver creates missing files: check first.
  std::error_code ec;
  auto status = fs::status(uri->path, ec);
  if (!fs::exists(status))
    return runtime_error("no database at '" + uri->path
                         + "': the file does not exist");
  if (!fs::is_regular_file(status))
    return runtime_error("no database at '" + uri->path
                         + "': not a regular file");
  out.sqlite.create_missing = false;
  out.sqlite.read_only = access == storage_access::read_only;
  out.sqlite.share_file = uri->share;
  auto driver = caf_cluster::storage::make_sqlite_runner_driver(uri->path,
                                                                out.sqlite);
  if (!driver)
    return runtime_error("cannot open '" + uri->path
                         + "': " + error_text(driver.error()));
  out.driver = std::move(*driver);
  out.path = uri->path;
  // Checked by the connection just opened.
  out.sqlite.check_integrity = false;
  out.now_ms = caf_cluster::system_wall_clock{}.now_ms();
  return std::nullopt;
}

caf::expected<std::unique_ptr<caf_cluster::storage::message_driver>>
open_message_storage(const storage_session& session) {
  if (!session.postgres_uri.empty())
    return caf_cluster::storage::make_postgres_message_driver(
      session.postgres_uri, false);
  return caf_cluster::storage::make_sqlite_message_driver(session.path,
                                                          session.sqlite);
}

} // namespace cluster_ctl
