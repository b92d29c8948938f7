#include "caf_cluster/runner_counters.hpp"

#include <algorithm>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/metrics_exposition.hpp"
#include "caf_cluster/prometheus_text.hpp"

namespace caf_cluster {

namespace {

bool ends_with(const std::string& x, const std::string& suffix) {
  return x.size() >= suffix.size()
    && x.compare(x.size() - suffix.size(), suffix.size(), suffix) == 0;
}

caf::error invalid(const std::string& family, const std::string& why) {
  return caf::make_error(errc::invalid_argument,
                         "metric counter '" + family + "': " + why);
}

} // namespace

latency_histogram&
runner_counters::ask_latency(const std::string& entity_type) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& x = asks_[entity_type];
  if (!x)
    x = std::make_unique<latency_histogram>();
  return *x;
}

caf::expected<std::shared_ptr<std::atomic<int64_t>>>
runner_counters::counter(const std::string& family, const std::string& help,
                         metric_labels labels) {
  if (!valid_metric_name(family) || !ends_with(family, "_total"))
    return invalid(family, "not a metric name ending in _total");
  if (core_metric_family(family))
    return invalid(family, "a family of the runner's own metrics");
  for (auto& [name, value] : labels)
    if (!valid_label_name(name) || name == "runner" || name == "le")
      return invalid(family,
                     "label name '" + name + "' is invalid or reserved");
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& x : series_)
    if (x.family == family && x.labels == labels)
      return x.value;
  help_.emplace(family, help);
  auto value = std::make_shared<std::atomic<int64_t>>(0);
  series_.push_back(series{family, std::move(labels), value});
  return value;
}

void runner_counters::fill(metrics_snapshot& out) const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [type, h] : asks_)
    out.ask_latency.emplace_back(type, h->snapshot());
  for (auto& x : series_)
    out.component_counters.push_back(
      counter_sample{x.family, help_.at(x.family), x.labels,
                     x.value->load(std::memory_order_relaxed)});
  // One family's series together, in a stable order.
  std::sort(out.component_counters.begin(), out.component_counters.end(),
            [](const counter_sample& x, const counter_sample& y) {
              return std::tie(x.family, x.labels)
                < std::tie(y.family, y.labels);
            });
}

} // namespace caf_cluster
