#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bench {

summary summarize(std::vector<double> xs) {
  summary result;
  if (xs.empty())
    return result;
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  result.median = n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
  result.min = xs.front();
  result.max = xs.back();
  result.runs = n;
  return result;
}

std::string format_figure(double x, figure_format f) {
  if (f == figure_format::one_decimal) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.1f", x);
    return buf;
  }
  auto rounded = static_cast<long long>(std::llround(x));
  auto digits = std::to_string(rounded < 0 ? -rounded : rounded);
  std::string result = rounded < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      result += ',';
    result += digits[i];
  }
  return result;
}

namespace {

// Effect's cluster with SQLite message storage on this machine: persisted
// messages end to end (request and reply stored, plus the network hops), as
// quoted in issue 4 and the README (Benchmarks, message storage).
constexpr double effect_sqlite_sequential = 974;   // msg/s
constexpr double effect_sqlite_concurrent = 1'070; // msg/s

// Issue 4's aim for persisted asks, concurrent: 30x Effect.
constexpr double persisted_concurrent_aim = 32'000; // msg/s

// Published workflow throughput (issue 14): Temporal self-hosted, Dapr
// workflows (35-98/s, the upper end), and issue 14's aim.
constexpr double temporal_workflows = 210;  // workflows/s
constexpr double dapr_workflows = 98;       // workflows/s
constexpr double workflow_aim = 1'000;      // workflows/s

std::string ratio_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

std::vector<double> measured(const std::vector<double>& xs) {
  std::vector<double> result;
  for (auto x : xs)
    if (x >= 0)
      result.push_back(x);
  return result;
}

std::string cell(std::vector<double> xs, figure_format f) {
  xs = measured(xs);
  if (xs.empty())
    return "-";
  auto s = summarize(xs);
  if (s.runs == 1)
    return format_figure(s.median, f);
  return format_figure(s.median, f) + " (" + format_figure(s.min, f) + " – "
         + format_figure(s.max, f) + ")";
}

} // namespace

void print_table(std::ostream& out, const std::vector<row>& rows,
                 const std::string& left, const std::string& right,
                 const std::string& ratio_name) {
  out << "| workload | metric | " << left << " median (min – max) | " << right
      << " median (min – max) | ratio " << ratio_name << " | runs |\n"
      << "| --- | --- | ---: | ---: | ---: | ---: |\n";
  for (auto& r : rows) {
    std::string ratio = "-";
    auto c = measured(r.cluster);
    auto b = measured(r.bare);
    if (!c.empty() && !b.empty()) {
      auto bm = summarize(b).median;
      if (bm != 0) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.2f", summarize(c).median / bm);
        ratio = buf;
      }
    }
    auto runs = std::max(r.cluster.size(), r.bare.size());
    out << "| " << r.workload << " | " << r.figure.name << " | "
        << cell(r.cluster, r.figure.format) << " | "
        << cell(r.bare, r.figure.format) << " | " << ratio << " | " << runs
        << " |\n";
  }
}

void print_persisted_comparison(std::ostream& out,
                                const std::vector<row>& rows) {
  std::vector<const row*> rates;
  for (auto& r : rows)
    if (r.workload == "persisted-sequential"
        || r.workload == "persisted-concurrent")
      if (rates.empty() || rates.back()->workload != r.workload)
        rates.push_back(&r); // the first figure of each: msg/s
  if (rates.empty())
    return;
  out << "\nPersisted asks against Effect's cluster with SQLite on this machine ("
      << format_figure(effect_sqlite_sequential, figure_format::integer)
      << " msg/s sequential, "
      << format_figure(effect_sqlite_concurrent, figure_format::integer)
      << " msg/s concurrent), the raw ceiling and issue 4's aim ("
      << format_figure(persisted_concurrent_aim, figure_format::integer)
      << " msg/s concurrent):\n\n"
      << "| workload | caf-cluster msg/s (median) | Effect msg/s | ratio "
         "cluster/Effect | raw ceiling rows/s (median) | ratio cluster/raw | "
         "ratio cluster/aim |\n"
      << "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (auto* r : rates) {
    auto c = measured(r->cluster);
    auto b = measured(r->bare);
    if (c.empty())
      continue;
    auto rate = summarize(c).median;
    auto concurrent = r->workload == "persisted-concurrent";
    auto effect = concurrent ? effect_sqlite_concurrent
                             : effect_sqlite_sequential;
    auto raw = b.empty() ? 0.0 : summarize(b).median;
    out << "| " << r->workload << " | "
        << format_figure(rate, figure_format::integer) << " | "
        << format_figure(effect, figure_format::integer) << " | "
        << ratio_text(rate / effect) << " | "
        << (raw > 0 ? format_figure(raw, figure_format::integer) : "-")
        << " | " << (raw > 0 ? ratio_text(rate / raw) : "-") << " | "
        << (concurrent ? ratio_text(rate / persisted_concurrent_aim) : "-")
        << " |\n";
  }
}

void print_workflow_comparison(std::ostream& out, const std::vector<row>& rows,
                               const workload_sizes& n) {
  for (auto& r : rows) {
    auto c = measured(r.cluster);
    auto b = measured(r.bare);
    if (c.empty() || r.figure.format != figure_format::integer)
      continue; // the first figure of each workload: its rate
    auto rate = summarize(c).median;
    if (r.workload == "workflow-throughput") {
      out << "\nworkflow-throughput: " << format_figure(rate,
                                                      figure_format::integer)
          << " workflows/s (3 activities each) = "
          << ratio_text(rate / temporal_workflows) << "x Temporal self-hosted ("
          << format_figure(temporal_workflows, figure_format::integer)
          << "/s), " << ratio_text(rate / dapr_workflows)
          << "x Dapr workflows (35-"
          << format_figure(dapr_workflows, figure_format::integer)
          << "/s), " << ratio_text(rate / workflow_aim)
          << " of issue 14's aim ("
          << format_figure(workflow_aim, figure_format::integer) << "/s)\n";
    } else if (r.workload == "workflow-replay" && !b.empty()
               && n.replay_steps > 1) {
      // Each activity of a k-step execution is one advance that replays
      // (k - 1) / 2 recorded steps on average; its whole cost (the replay,
      // the activity, storing the next step and the journal) bounds what a
      // replayed step costs. A 1-activity execution adds the start, the
      // awaiter and the outcome's way back to the client instead.
      auto single = summarize(b).median;
      auto k = static_cast<double>(n.replay_steps);
      char bound[32];
      std::snprintf(bound, sizeof(bound), "%.1f", (1e6 / rate) / ((k - 1) / 2));
      out << "\nworkflow-replay: an advance of a "
          << format_figure(k, figure_format::integer)
          << "-activity execution (replaying "
          << ratio_text((k - 1) / 2)
          << " recorded steps on average) costs " << ratio_text(1e6 / rate)
          << " µs of throughput time, so a replayed step costs at most "
          << bound << " µs; a whole 1-activity execution costs "
          << ratio_text(1e6 / single) << " µs\n";
    }
  }
}

} // namespace bench
