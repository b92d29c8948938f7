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

} // namespace bench
