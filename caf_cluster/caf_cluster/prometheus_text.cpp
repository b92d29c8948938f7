#include "caf_cluster/prometheus_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace caf_cluster {

namespace {

bool name_char(char c, bool first, bool colon) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
    return true;
  if (colon && c == ':')
    return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) noexcept {
  if (name.empty())
    return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon))
      return false;
  return true;
}

// Label values escape backslash, double quote and newline; HELP text only
// backslash and newline.
void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (auto c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += quotes ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

const char* type_name(metric_type type) noexcept {
  switch (type) {
    case metric_type::counter:
      return "counter";
    case metric_type::histogram:
      return "histogram";
    default:
      return "gauge";
  }
}

} // namespace

bool valid_metric_name(std::string_view name) noexcept {
  return valid_name(name, true);
}

bool valid_label_name(std::string_view name) noexcept {
  return valid_name(name, false) && name.substr(0, 2) != "__";
}

std::string format_sample_value(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  // The shortest of %.15g..%.17g that reads back to the same double.
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value)
      break;
  }
  return buf;
}

void prometheus_text::family(std::string_view name, metric_type type,
                             std::string_view help) {
  if (!valid_metric_name(name))
    throw std::logic_error("invalid metric name '" + std::string{name} + "'");
  if (std::find(started_.begin(), started_.end(), name) != started_.end())
    throw std::logic_error("metric family '" + std::string{name}
                           + "' started twice");
  started_.emplace_back(name);
  current_ = std::string{name};
  type_ = type;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void prometheus_text::sample(const metric_labels& labels, int64_t value) {
  if (current_.empty() || type_ == metric_type::histogram)
    throw std::logic_error("sample outside a counter or gauge family");
  series({}, labels, nullptr, std::to_string(value));
}

void prometheus_text::sample(const metric_labels& labels, double value) {
  if (current_.empty() || type_ == metric_type::histogram)
    throw std::logic_error("sample outside a counter or gauge family");
  series({}, labels, nullptr, format_sample_value(value));
}

void prometheus_text::histogram(const metric_labels& labels,
                                const histogram_snapshot& h) {
  if (current_.empty() || type_ != metric_type::histogram)
    throw std::logic_error("histogram outside a histogram family");
  if (h.cumulative.size() != h.bounds.size())
    throw std::logic_error("histogram with " + std::to_string(h.bounds.size())
                           + " bounds and "
                           + std::to_string(h.cumulative.size()) + " counts");
  std::pair<std::string, std::string> le{"le", ""};
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    le.second = format_sample_value(h.bounds[i]);
    series("_bucket", labels, &le, std::to_string(h.cumulative[i]));
  }
  le.second = "+Inf";
  series("_bucket", labels, &le, std::to_string(h.count));
  series("_sum", labels, nullptr, format_sample_value(h.sum));
  series("_count", labels, nullptr, std::to_string(h.count));
}

void prometheus_text::series(std::string_view suffix,
                             const metric_labels& labels,
                             const std::pair<std::string, std::string>* extra,
                             std::string_view value) {
  out_ += current_;
  out_ += suffix;
  if (!labels.empty() || extra) {
    out_ += '{';
    bool first = true;
    auto add = [&](const std::pair<std::string, std::string>& label) {
      if (!valid_label_name(label.first) || (extra && label.first == "le"))
        throw std::logic_error("invalid label name '" + label.first + "'");
      if (!first)
        out_ += ',';
      first = false;
      out_ += label.first;
      out_ += "=\"";
      append_escaped(out_, label.second, true);
      out_ += '"';
    };
    for (auto& label : labels)
      add(label);
    if (extra) {
      if (!first)
        out_ += ',';
      out_ += extra->first + "=\"" + extra->second + '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

} // namespace caf_cluster
