#include <ostream>

#include "caf/config_option_set.hpp"

#include "caf_cluster/node/internal/command_line.hpp"

namespace caf_cluster::internal {

namespace {

// Writes `left` padded to a column, then `right`; a long left side gets its
// own line.
void row(std::ostream& out, const std::string& left, const std::string& right) {
  constexpr size_t column = 34;
  out << "  " << left;
  if (left.size() + 2 < column)
    out << std::string(column - left.size(), ' ');
  else
    out << '\n' << std::string(column + 2, ' ');
  out << right << '\n';
}

std::string str(caf::string_view x) {
  return std::string{x.data(), x.size()};
}

std::string flag_text(const node_flag& x) {
  auto result = "--" + x.name;
  if (!x.value_name.empty())
    result += " " + x.value_name;
  return result;
}

} // namespace

void print_help(std::ostream& out, const node_program& program,
                const caf::config_option_set& options) {
  out << "usage: " << program.name << " [flags]";
  if (is_runner(program))
    out << " --port PORT";
  if (!program.positional_usage.empty())
    out << ' ' << program.positional_usage;
  out << "\n\n" << program.summary << "\n\nflags:\n";
  row(out, "-h, --help", "print this help and exit");
  for (const auto& x : builtin_flags(program))
    row(out, flag_text(x), x.help);
  for (const auto& x : program.flags)
    row(out, flag_text(x), x.help);
  out << "\ncluster options (--cluster.<key>=<value>, or <key> = <value> in "
         "the [cluster] section of --config-file=<file>):\n";
  for (const auto& opt : options) {
    if (str(opt.category()) != "cluster")
      continue;
    row(out, "--cluster." + str(opt.long_name()), str(opt.description()));
  }
  if (program.client_only)
    out << "  (cluster.client-only is on for " << program.name << ")\n";
  out << "\nCAF's own options: --long-help. Exit codes: 0 success, 1 failure "
         "at run time, 2 usage error.\n";
}

} // namespace caf_cluster::internal
