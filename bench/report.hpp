// Aggregation and output: the median of each figure over its runs (the
// machine is shared and noisy, so no means), with min and max, as a markdown
// table comparing caf-cluster with bare CAF (or with raw SQLite).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace bench {

/// Median, min and max of a series of runs.
struct summary {
  /// Median (mean of the middle two for an even count).
  double median = 0;
  /// Smallest value.
  double min = 0;
  /// Largest value.
  double max = 0;
  /// Number of runs.
  size_t runs = 0;
};

/// Summarizes `xs`; all zero if empty.
summary summarize(std::vector<double> xs);

/// One row of the table: a figure of a workload on both sides.
struct row {
  /// Workload name.
  std::string workload;
  /// The figure.
  metric figure;
  /// Values per run on caf-cluster (empty if that side did not run).
  std::vector<double> cluster;
  /// Values per run on bare CAF (empty if that side did not run).
  std::vector<double> bare;
};

/// Formats `x` as `f` says, with thousands separators.
std::string format_figure(double x, figure_format f);

/// Prints the markdown table of `rows`, naming the sides of `row::cluster`
/// and `row::bare` as `left` and `right` and their ratio `ratio_name`.
/// Negative values mark a figure that a side does not measure: they are left
/// out (`-` if no run has one).
void print_table(std::ostream& out, const std::vector<row>& rows,
                 const std::string& left = "caf-cluster",
                 const std::string& right = "bare CAF",
                 const std::string& ratio_name = "cluster/bare");

/// Prints, for the persisted workloads among `rows` (their first figure is
/// msg/s, against the raw ceiling), the caf-cluster rate against Effect's
/// cluster with SQLite on this machine, against the raw ceiling and, for
/// persisted-concurrent, against the aim of issue 4.
void print_persisted_comparison(std::ostream& out, const std::vector<row>& rows);

/// Prints, for the workflow workloads among `rows`, the workflow rate
/// against the published anchors (Temporal, Dapr) and issue 14's aim, and
/// the cost per replayed step derived from workflow-replay's two sides.
void print_workflow_comparison(std::ostream& out, const std::vector<row>& rows,
                               const workload_sizes& sizes);

} // namespace bench
