// cluster-bench: in-process throughput, latency, activation rate and memory
// of caf-cluster entities, each next to the same request/response on a bare
// CAF stateful typed actor (the ceiling), over several fresh runs; and the
// same asks from a client process to two runner processes on loopback, next
// to bare CAF remote actors (the reference of the transport); message
// storage rows saved through the storage writer next to raw SQLiteCpp; and
// persisted asks over loopback next to raw SQLiteCpp's request inserts.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "environment.hpp"
#include "options.hpp"
#include "remote.hpp"
#include "report.hpp"
#include "servers.hpp"
#include "workloads.hpp"

int main(int argc, char** argv) {
  using namespace bench;
  options opt;
  std::string err;
  if (!parse_options(argc, argv, opt, err)) {
    std::cerr << "cluster-bench: " << err << "\n\n" << usage();
    return 2;
  }
  // The help goes to stdout, before CAF's options (the cluster ones too).
  if (opt.help)
    std::cout << usage() << '\n' << std::flush;
  if (opt.serve)
    return serve(opt);
  if (opt.child) {
    exit_with_parent(opt.parent_pid, SIGKILL);
    // One measurement for the parent: figures on stdout, full precision, then
    // exit at once. The teardown is not measured, and stopping 100,000
    // entities took minutes under work stealing with 4 workers on 2 cores
    // (the manager sends 100,000 exits from one handler).
    run_workload(opt.workloads[0], opt.sides[0], opt,
                 [](const std::vector<double>& figures) {
                   for (auto x : figures)
                     std::printf("%.17g\n", x);
                   std::fflush(stdout);
                   std::_Exit(0);
                 });
    return 1;
  }
  bool help_printed = false;
  if (!check_caf_flags(opt, help_printed))
    return help_printed ? 0 : 2;
  std::vector<row> rows;
  std::vector<row> storage_rows;
  std::vector<row> persisted_rows;
  std::vector<row> workflow_rows;
  for (auto w : opt.workloads) {
    auto figures = metrics_of(w, opt.sizes);
    std::vector<std::vector<double>> cluster(figures.size());
    std::vector<std::vector<double>> bare(figures.size());
    for (int run = 0; run < opt.runs; ++run) {
      // Alternate which side goes first, so drift on a noisy machine does not
      // always favour the same one.
      auto sides = opt.sides;
      if (run % 2 == 1)
        std::reverse(sides.begin(), sides.end());
      for (auto s : sides) {
        std::vector<double> values;
        // Fresh servers for every run, stopped right after it.
        std::optional<server_group> servers;
        // A persisted workload's other side is raw SQLite, no servers.
        // A workflow workload's both sides run on caf-cluster runners.
        if (is_workflow(w))
          servers.emplace(side::cluster, opt, true, false);
        else if (is_remote(w) || (is_persisted(w) && s == side::cluster))
          servers.emplace(s, opt, is_persisted(w), is_tls(w));
        if (opt.in_process) {
          auto local = opt;
          if (servers)
            servers->apply(local);
          run_workload(w, s, local,
                       [&](const std::vector<double>& xs) { values = xs; });
        } else {
          values = run_in_child(w, s, argc, argv,
                                servers ? servers->client_args()
                                        : std::vector<std::string>{});
        }
        servers.reset();
        if (values.size() != figures.size()) {
          std::cerr << "cluster-bench: " << to_string(w) << " on "
                    << to_string(s) << " returned " << values.size()
                    << " figures, expected " << figures.size() << '\n';
          return 1;
        }
        std::cerr << to_string(w) << " run " << run + 1 << '/' << opt.runs
                  << ' '
                  << (is_workflow(w) && s == side::bare
                        ? "baseline"
                        : (is_storage(w) || is_persisted(w)) && s == side::bare
                        ? "raw SQLiteCpp"
                        : to_string(s))
                  << ':';
        for (size_t i = 0; i < figures.size(); ++i) {
          (s == side::cluster ? cluster : bare)[i].push_back(values[i]);
          std::cerr << ' '
                    << (values[i] < 0
                          ? std::string{"-"}
                          : format_figure(values[i], figures[i].format))
                    << ' ' << figures[i].name
                    << (i + 1 < figures.size() ? "," : "");
        }
        std::cerr << std::endl;
      }
    }
    for (size_t i = 0; i < figures.size(); ++i)
      (is_storage(w)     ? storage_rows
       : is_persisted(w) ? persisted_rows
       : is_workflow(w)  ? workflow_rows
                         : rows)
        .push_back(row{to_string(w), figures[i], cluster[i], bare[i]});
  }
  std::cout << "## cluster-bench" << (opt.quick ? " (--quick)" : "") << "\n\n"
            << "- " << describe_scheduler(opt) << "; " << opt.runs
            << " runs per side, each in a fresh actor system"
            << " (+ sharding service)"
            << (opt.in_process ? " in this process" : " in a fresh process")
            << "; medians of the runs\n";
  for (auto w : opt.workloads)
    std::cout << "- " << describe(w, opt.sizes) << '\n';
  std::cout << '\n';
  if (!rows.empty())
    print_table(std::cout, rows);
  if (!rows.empty() && !storage_rows.empty())
    std::cout << '\n';
  if (!storage_rows.empty())
    print_table(std::cout, storage_rows, "caf-cluster storage",
                "raw SQLiteCpp", "storage/raw");
  if ((!rows.empty() || !storage_rows.empty()) && !persisted_rows.empty())
    std::cout << '\n';
  if (!persisted_rows.empty()) {
    print_table(std::cout, persisted_rows, "caf-cluster persisted asks",
                "raw SQLiteCpp request inserts", "cluster/raw");
    print_persisted_comparison(std::cout, persisted_rows);
  }
  if ((!rows.empty() || !storage_rows.empty() || !persisted_rows.empty())
      && !workflow_rows.empty())
    std::cout << '\n';
  if (!workflow_rows.empty()) {
    print_table(std::cout, workflow_rows, "caf-cluster workflows",
                "baseline (persisted asks; 1-activity workflows)",
                "workflows/baseline");
    print_workflow_comparison(std::cout, workflow_rows, opt.sizes);
  }
  return 0;
}
