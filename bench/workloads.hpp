// The workloads. Each call measures one run on one side in a fresh
// runtime and returns its figures in the order of `metric_names`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "options.hpp"

namespace bench {

/// How a figure prints.
enum class figure_format { integer, one_decimal };

/// One figure a workload reports.
struct metric {
  /// Label in the table, e.g. `msg/s`.
  std::string name;
  /// How its values print.
  figure_format format = figure_format::integer;
};

/// Returns the figures `w` reports, in the order `run_workload` returns them.
std::vector<metric> metrics_of(workload w, const workload_sizes& sizes);

/// Returns a one-line description of `w` with its sizes, for the report.
std::string describe(workload w, const workload_sizes& sizes);

/// Receives the figures of one run while its runtime still exists, so a child
/// process can hand them over and exit without tearing the runtime down.
using figures_sink = std::function<void(const std::vector<double>&)>;

/// Runs `w` once on side `s` in a fresh actor system (and sharding service)
/// and passes its figures to `sink` before shutting that runtime down. Exits
/// the program if any request failed.
void run_workload(workload w, side s, const options& opt,
                  const figures_sink& sink);

} // namespace bench
