#include "cli.hpp"

#include <charconv>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "caf/message.hpp"

#include "caf_cluster/storage/error_text.hpp"
#include "caf_cluster/version.hpp"

namespace cluster_ctl {

namespace {

using caf_cluster::storage::printable;

// Usage first, as the tool always printed it ("usage: cluster-ctl ..."),
// then CLI11's description, options and subcommands.
class help_formatter : public CLI::Formatter {
public:
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub)
      return make_expanded(app);
    std::stringstream out;
    out << make_usage(app, std::move(name)) << '\n'
        << make_description(app) << make_positionals(app)
        << make_groups(app, mode) << make_subcommands(app, mode) << '\n'
        << make_footer(app);
    return out.str();
  }

  std::string make_usage(const CLI::App* app, std::string name) const override {
    auto text = CLI::Formatter::make_usage(app, std::move(name));
    if (auto pos = text.find("Usage:"); pos != std::string::npos)
      text.replace(pos, 6, "usage:");
    return text;
  }
};

template <class T>
std::optional<T> parse_positive(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != text.npos)
    return std::nullopt;
  T result = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                   result);
  if (ec != std::errc{} || end != text.data() + text.size() || result < 1)
    return std::nullopt;
  return result;
}

bool looks_like_option(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-';
}

// The option name in an unknown "--name=value".
std::string option_name(const std::string& arg) {
  return arg.substr(0, arg.find('='));
}

// CLI11 reads "--opt=" as a missing value; the tool has always read it as an
// empty one (and says why it is wrong), so it becomes "--opt" "".
std::vector<std::string> normalize(int argc, char** argv) {
  std::vector<std::string> result;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      result.insert(result.end(), argv + i, argv + argc);
      break;
    }
    if (arg.size() > 3 && arg.compare(0, 2, "--") == 0 && arg.back() == '='
        && arg.find('=') == arg.size() - 1) {
      arg.pop_back();
      result.push_back(std::move(arg));
      result.emplace_back();
      continue;
    }
    result.push_back(std::move(arg));
  }
  return result;
}

// Maps CLI11's parse errors to the tool's messages.
int parse_failure(const CLI::ParseError& err) {
  std::string text = err.what();
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&err) != nullptr
      && text.find(" required ") != std::string::npos
      && text.find(" missing") != std::string::npos)
    return usage_error("option '" + text.substr(0, text.find(':'))
                       + "' needs a value");
  return usage_error(text);
}

// The arguments CLI11 left over, without the "--" it keeps.
std::vector<std::string> leftovers(const CLI::App& app) {
  std::vector<std::string> result;
  for (auto& arg : app.remaining())
    if (arg != "--")
      result.push_back(arg);
  return result;
}

} // namespace

int usage_error(std::string_view message) {
  std::cerr << "cluster-ctl: " << printable(message) << '\n';
  return exit_usage;
}

int runtime_error(std::string_view message) {
  std::cerr << "cluster-ctl: " << printable(message) << '\n';
  return exit_runtime;
}

std::string error_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return "error code " + std::to_string(err.code());
}

std::optional<int32_t> parse_positive_int32(std::string_view text) {
  return parse_positive<int32_t>(text);
}

std::optional<int64_t> parse_positive_int64(std::string_view text) {
  return parse_positive<int64_t>(text);
}

void setup_root(CLI::App& root, bool& version) {
  root.name("cluster-ctl");
  root.description("Inspects and administers a caf-cluster through its "
                   "runner storage.");
  root.formatter(std::make_shared<help_formatter>());
  root.set_help_flag("-h,--help", "print this help and exit");
  root.add_flag("--version", version,
                "print \"cluster-ctl <version>\" and exit");
  root.allow_extras();
  root.footer(
    "Options take their value as \"--opt value\" or \"--opt=value\"; "
    "\"--\" ends the\noptions. The storage commands never create the "
    "database file. Exit codes:\n0 success, 1 runtime error (e.g. the "
    "database cannot be read), 2 usage error.\nRun 'cluster-ctl "
    "<command> --help' for the options of a command.\n");
}

int run(CLI::App& root, const bool& version,
        const std::vector<command>& commands, int argc, char** argv) {
  auto args = normalize(argc, argv);
  // CLI11 takes the arguments reversed when given a vector.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    root.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << root.help();
    return exit_ok;
  } catch (const CLI::ParseError& err) {
    return parse_failure(err);
  }
  if (version) {
    std::cout << "cluster-ctl " << caf_cluster::version() << '\n';
    return exit_ok;
  }
  for (const auto& cmd : commands) {
    if (!cmd.app->parsed())
      continue;
    auto rest = leftovers(*cmd.app);
    for (auto& arg : rest)
      if (looks_like_option(arg))
        return usage_error("unknown option '" + option_name(arg) + "'");
    if (!rest.empty() && cmd.takes_no_arguments)
      return usage_error(cmd.app->get_name() + " takes no arguments, got '"
                         + rest.front() + "'");
    return cmd.run();
  }
  auto rest = leftovers(root);
  if (rest.empty())
    return usage_error("missing command: try 'cluster-ctl --help'");
  if (looks_like_option(rest.front()))
    return usage_error("unknown option '" + option_name(rest.front()) + "'");
  return usage_error("unknown command '" + rest.front() + "'");
}

} // namespace cluster_ctl
