#include "storage_session.hpp"

#include <chrono>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "caf_cluster/sharding_config.hpp"
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
                "the cluster's runner storage, sqlite:PATH (required)")
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
    return usage_error(name + " needs --storage sqlite:PATH");
  auto uri = caf_cluster::storage::parse_storage_uri(opts.storage);
  if (!uri)
    return usage_error(error_text(uri.error()));
  if (uri->type != storage_uri::kind::sqlite)
    return usage_error("--storage memory lives inside one runner process and "
                       "cannot be inspected: use --storage sqlite:PATH");
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

} // namespace cluster_ctl
