// Prometheus' text exposition format (version 0.0.4), written by hand: the
// few rules it has (HELP and TYPE lines, label escaping, number spelling,
// histogram series) are smaller than a client library and its registry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "caf_cluster/latency_histogram.hpp"

namespace caf_cluster {

/// Label names and values of one series, in output order.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

/// The kinds of metric family the format knows that we use.
enum class metric_type { counter, gauge, histogram };

/// Builds one exposition. Families must be started before their samples and
/// each name started once; breaking either rule, or passing a name the format
/// does not allow, is a programming error and throws std::logic_error.
class prometheus_text {
public:
  /// Starts the family `name` with its `# HELP` and `# TYPE` lines.
  void family(std::string_view name, metric_type type, std::string_view help);

  /// One sample of the current counter or gauge family. Integral values are
  /// written exactly.
  void sample(const metric_labels& labels, int64_t value);

  /// One sample of the current counter or gauge family (NaN and infinities
  /// spelled as the format wants).
  void sample(const metric_labels& labels, double value);

  /// The `_bucket`, `_sum` and `_count` series of the current histogram
  /// family for one label set.
  void histogram(const metric_labels& labels, const histogram_snapshot& h);

  /// The exposition so far.
  const std::string& text() const noexcept {
    return out_;
  }

  /// The Content-Type of this format.
  static constexpr std::string_view content_type
    = "text/plain; version=0.0.4; charset=utf-8";

private:
  void series(std::string_view suffix, const metric_labels& labels,
              const std::pair<std::string, std::string>* extra,
              std::string_view value);

  std::string out_;
  std::string current_;
  metric_type type_ = metric_type::gauge;
  std::vector<std::string> started_;
};

/// Whether `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
bool valid_metric_name(std::string_view name) noexcept;

/// Whether `name` is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not
/// starting with "__", which Prometheus reserves).
bool valid_label_name(std::string_view name) noexcept;

/// `value` as a sample value: shortest exact decimal, "+Inf", "-Inf", "NaN".
std::string format_sample_value(double value);

} // namespace caf_cluster
