// cluster-ctl: the admin tool. Each subcommand is one function registered in
// `commands`; its exit codes and output lines are a contract for scripts, so
// usage errors always exit 2 with exactly one `cluster-ctl: ` line on stderr.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "caf/error.hpp"
#include "caf/message.hpp"

#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/storage/error_text.hpp"
#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"
#include "caf_cluster/storage/storage_uri.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace {

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_usage = 2;

// The shard count comes from the one defaults table; the group is Effect's
// default entity group, not a runner setting, so it has no entry there.
const int32_t default_shards_per_group
  = caf_cluster::sharding_config{}.shards_per_group;
constexpr std::string_view default_group = "default";

// A runner counts as live while its last heartbeat is younger than this.
const int64_t default_lease_duration_ms
  = std::chrono::duration_cast<std::chrono::milliseconds>(
      caf_cluster::sharding_config{}.lease_duration)
      .count();

std::string usage_text() {
  return R"(usage: cluster-ctl <command> [options]

commands:
  shard-id <entity-id> [--shards-per-group N] [--group G]
      print the shard that owns <entity-id>, e.g. default:186
      --shards-per-group N   shards in the group, N >= 1 (default )"
    + std::to_string(default_shards_per_group) + R"()
      --group G              shard group, non-empty, no ':' (default ")"
    + std::string{default_group} + R"(")
  runners --storage sqlite:PATH [--lease-duration-ms N]
      list the registered runners, sorted by address, one per line:
      address machine-id healthy weight heartbeat-age-ms live|stale
      --lease-duration-ms N  a runner is live while its heartbeat is younger
                             (default )"
    + std::to_string(default_lease_duration_ms) + R"(, cluster.lease-duration)
  shards --storage sqlite:PATH
      list every shard lease (shard holder epoch expires-in-ms held|expired),
      then the number of shards each runner holds now (runner held-shards)
  pending --storage sqlite:PATH
      list unprocessed persisted messages per shard and entity type
      (shard entity-type pending), then per entity type (entity-type pending)

options:
  -h, --help    print this help and exit

Options take their value as "--opt value" or "--opt=value"; "--" ends the
options. The storage commands never create the database file. Exit codes:
0 success, 1 runtime error (e.g. the database cannot be read), 2 usage error.
)";
}

using caf_cluster::storage::printable;

int usage_error(std::string_view message) {
  std::cerr << "cluster-ctl: " << printable(message) << '\n';
  return exit_usage;
}

// Returns the context text of errors made by caf::make_error(code, "text").
std::string error_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return "error code " + std::to_string(err.code());
}

/// The arguments of one subcommand after splitting off its options.
struct parsed_args {
  std::vector<std::string_view> positional;
  std::vector<std::pair<std::string_view, std::string_view>> options;
  bool help = false;
};

// Splits `args` into positionals and the options named in `known` (all of
// which take a value). Returns an error message on bad input.
std::optional<std::string>
parse_args(const std::vector<std::string_view>& args,
           std::initializer_list<std::string_view> known, parsed_args& out) {
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      out.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    auto name = arg;
    std::optional<std::string_view> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    bool is_known = false;
    for (auto k : known)
      is_known = is_known || k == name;
    if (!is_known)
      return "unknown option '" + std::string{name} + "'";
    if (!value) {
      if (i + 1 == args.size())
        return "option '" + std::string{name} + "' needs a value";
      value = args[++i];
    }
    out.options.emplace_back(name, *value);
  }
  return std::nullopt;
}

// Returns the value of the last occurrence of `name`, like most CLIs do.
std::optional<std::string_view> option(const parsed_args& args,
                                       std::string_view name) {
  std::optional<std::string_view> result;
  for (const auto& [key, value] : args.options)
    if (key == name)
      result = value;
  return result;
}

std::optional<int32_t> parse_positive_int32(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != text.npos)
    return std::nullopt;
  int32_t result = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                   result);
  if (ec != std::errc{} || end != text.data() + text.size() || result < 1)
    return std::nullopt;
  return result;
}

// Parses the flags of a command. Returns the exit code when the command is
// done already: a usage error, or `--help` (usage printed).
std::optional<int> parse_command(const std::vector<std::string_view>& args,
                                 std::initializer_list<std::string_view> known,
                                 parsed_args& parsed) {
  if (auto err = parse_args(args, known, parsed))
    return usage_error(*err);
  if (parsed.help) {
    std::cout << usage_text();
    return exit_ok;
  }
  return std::nullopt;
}

int shard_id_command(const std::vector<std::string_view>& args) {
  parsed_args parsed;
  if (auto done = parse_command(args, {"--shards-per-group", "--group"}, parsed))
    return *done;
  if (parsed.positional.empty())
    return usage_error("shard-id needs an entity id");
  if (parsed.positional.size() > 1)
    return usage_error("shard-id takes one entity id, got an extra argument '"
                       + std::string{parsed.positional[1]} + "'");
  auto shards = default_shards_per_group;
  if (auto text = option(parsed, "--shards-per-group")) {
    auto value = parse_positive_int32(*text);
    if (!value)
      return usage_error("--shards-per-group must be a whole number from 1 to "
                         "2147483647, got '"
                         + std::string{*text} + "'");
    shards = *value;
  }
  auto group = std::string{option(parsed, "--group").value_or(default_group)};
  auto shard = caf_cluster::make_shard_id(parsed.positional[0],
                                          std::move(group), shards);
  if (!shard)
    return usage_error(error_text(shard.error()));
  std::cout << to_string(*shard) << '\n';
  return exit_ok;
}

std::optional<int64_t> parse_positive_int64(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != text.npos)
    return std::nullopt;
  int64_t result = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                   result);
  if (ec != std::errc{} || end != text.data() + text.size() || result < 1)
    return std::nullopt;
  return result;
}

int runtime_error(std::string_view message) {
  std::cerr << "cluster-ctl: " << printable(message) << '\n';
  return exit_runtime;
}

/// What a storage command needs once its arguments are checked.
struct storage_session {
  std::unique_ptr<caf_cluster::storage::runner_driver> driver;
  std::string path;
  int64_t now_ms = 0;
};

// Opens the runner storage named by `--storage` for the command `name`.
// Returns the exit code on failure (after printing the one error line).
std::optional<int> open_storage(std::string_view name,
                                const parsed_args& parsed,
                                storage_session& out) {
  namespace fs = std::filesystem;
  using caf_cluster::storage::storage_uri;
  if (!parsed.positional.empty())
    return usage_error(std::string{name} + " takes no arguments, got '"
                       + std::string{parsed.positional[0]} + "'");
  auto text = option(parsed, "--storage");
  if (!text)
    return usage_error(std::string{name} + " needs --storage sqlite:PATH");
  auto uri = caf_cluster::storage::parse_storage_uri(*text);
  if (!uri)
    return usage_error(error_text(uri.error()));
  if (uri->type != storage_uri::kind::sqlite)
    return usage_error("--storage memory lives inside one runner process and "
                       "cannot be inspected: use --storage sqlite:PATH");
  // An admin tool must not create an empty cluster database by a typo, and
  // the SQLite driver creates missing files: check first.
  std::error_code ec;
  auto status = fs::status(uri->path, ec);
  if (!fs::exists(status))
    return runtime_error("no database at '" + uri->path
                         + "': the file does not exist");
  if (!fs::is_regular_file(status))
    return runtime_error("no database at '" + uri->path
                         + "': not a regular file");
  auto driver = caf_cluster::storage::make_sqlite_runner_driver(uri->path);
  if (!driver)
    return runtime_error("cannot open '" + uri->path
                         + "': " + error_text(driver.error()));
  out.driver = std::move(*driver);
  out.path = uri->path;
  out.now_ms = caf_cluster::system_wall_clock{}.now_ms();
  return std::nullopt;
}

int runners_command(const std::vector<std::string_view>& args) {
  parsed_args parsed;
  if (auto done = parse_command(args, {"--storage", "--lease-duration-ms"}, parsed))
    return *done;
  auto lease_ms = default_lease_duration_ms;
  if (auto text = option(parsed, "--lease-duration-ms")) {
    auto value = parse_positive_int64(*text);
    if (!value)
      return usage_error("--lease-duration-ms must be a whole number from 1 "
                         "to 9223372036854775807, got '"
                         + std::string{*text} + "'");
    lease_ms = *value;
  }
  storage_session session;
  if (auto code = open_storage("runners", parsed, session))
    return *code;
  auto rows = session.driver->all_runners();
  if (!rows)
    return runtime_error("cannot read runners: " + error_text(rows.error()));
  std::sort(rows->begin(), rows->end(),
            [](const auto& x, const auto& y) { return x.address < y.address; });
  std::cout << "address machine-id healthy weight heartbeat-age-ms state\n";
  for (const auto& row : *rows) {
    // The driver's liveness rule: last_heartbeat_ms > now_ms - lease_ms.
    const bool live = row.last_heartbeat_ms > session.now_ms - lease_ms;
    std::cout << printable(row.address) << ' ' << row.machine_id << ' '
              << (row.healthy ? "yes" : "no") << ' ' << row.weight << ' '
              << (session.now_ms - row.last_heartbeat_ms) << ' '
              << (live ? "live" : "stale") << '\n';
  }
  return exit_ok;
}

// Orders shards "group:index" by group, then by numeric index, so that
// default:2 comes before default:10; malformed names sort as plain strings.
bool shard_less(const std::string& x, const std::string& y) {
  auto split = [](const std::string& s) {
    auto colon = s.rfind(':');
    int64_t index = -1;
    if (colon != std::string::npos) {
      auto first = s.data() + colon + 1;
      auto last = s.data() + s.size();
      auto [end, ec] = std::from_chars(first, last, index);
      if (ec != std::errc{} || end != last || first == last)
        index = -1;
    }
    return std::make_tuple(index < 0 ? s : s.substr(0, colon), index, s);
  };
  return split(x) < split(y);
}

int shards_command(const std::vector<std::string_view>& args) {
  parsed_args parsed;
  if (auto done = parse_command(args, {"--storage"}, parsed))
    return *done;
  storage_session session;
  if (auto code = open_storage("shards", parsed, session))
    return *code;
  auto leases = session.driver->leases();
  if (!leases)
    return runtime_error("cannot read leases: " + error_text(leases.error()));
  auto runners = session.driver->all_runners();
  if (!runners)
    return runtime_error("cannot read runners: "
                         + error_text(runners.error()));
  std::sort(leases->begin(), leases->end(), [](const auto& x, const auto& y) {
    return shard_less(x.shard, y.shard);
  });
  // Every registered runner appears in the counts, also with 0 shards.
  std::map<std::string, int64_t> held;
  for (const auto& row : *runners)
    held.emplace(row.address, 0);
  std::cout << "shard holder epoch expires-in-ms state\n";
  for (const auto& row : *leases) {
    // The driver's rule: a lease holds while expires_at_ms > now_ms.
    const bool holds = row.expires_at_ms > session.now_ms;
    if (holds)
      ++held[row.runner];
    std::cout << printable(row.shard) << ' ' << printable(row.runner) << ' '
              << row.epoch << ' ' << (row.expires_at_ms - session.now_ms)
              << ' ' << (holds ? "held" : "expired") << '\n';
  }
  std::cout << "\nrunner held-shards\n";
  for (const auto& [runner, count] : held)
    std::cout << printable(runner) << ' ' << count << '\n';
  return exit_ok;
}

int pending_command(const std::vector<std::string_view>& args) {
  parsed_args parsed;
  if (auto done = parse_command(args, {"--storage"}, parsed))
    return *done;
  storage_session session;
  if (auto code = open_storage("pending", parsed, session))
    return *code;
  auto messages = caf_cluster::storage::make_sqlite_message_driver(
    session.path);
  if (!messages)
    return runtime_error("cannot open '" + session.path
                         + "': " + error_text(messages.error()));
  auto counts = (*messages)->pending_counts();
  if (!counts)
    return runtime_error("cannot read pending messages: "
                         + error_text(counts.error()));
  std::sort(counts->begin(), counts->end(), [](const auto& x, const auto& y) {
    if (x.shard != y.shard)
      return shard_less(x.shard, y.shard);
    return x.entity_type < y.entity_type;
  });
  std::map<std::string, int64_t> per_type;
  std::cout << "shard entity-type pending\n";
  for (const auto& row : *counts) {
    per_type[row.entity_type] += row.count;
    std::cout << printable(row.shard) << ' ' << printable(row.entity_type)
              << ' ' << row.count << '\n';
  }
  std::cout << "\nentity-type pending\n";
  for (const auto& [type, count] : per_type)
    std::cout << printable(type) << ' ' << count << '\n';
  return exit_ok;
}

/// A subcommand: its name and the function that runs it on the arguments
/// after the name, returning the exit code.
struct command {
  std::string_view name;
  int (*run)(const std::vector<std::string_view>& args);
};

constexpr command commands[] = {
  {"shard-id", shard_id_command},
  {"runners", runners_command},
  {"shards", shards_command},
  {"pending", pending_command},
};

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty())
    return usage_error("missing command: try 'cluster-ctl --help'");
  const auto name = args.front();
  if (name == "-h" || name == "--help") {
    std::cout << usage_text();
    return exit_ok;
  }
  for (const auto& cmd : commands)
    if (cmd.name == name)
      return cmd.run({args.begin() + 1, args.end()});
  if (name.size() > 1 && name[0] == '-')
    return usage_error("unknown option '" + std::string{name} + "'");
  return usage_error("unknown command '" + std::string{name} + "'");
}
