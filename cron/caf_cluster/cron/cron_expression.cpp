#include "caf_cluster/cron/cron_expression.hpp"

#include <array>
#include <cctype>
#include <vector>

#include "caf_cluster/cron/civil_time.hpp"
#include "caf_cluster/errc.hpp"

namespace caf_cluster::cron {

namespace {

struct field_spec {
  const char* name;
  int min;
  int max;
  const std::array<const char*, 12>* names; // value of names[i]: i + base
  int names_base;
  size_t name_count;
};

const std::array<const char*, 12> month_names{
  "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

const std::array<const char*, 12> weekday_names{
  "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "", "", "", "", ""};

const field_spec second_spec{"second", 0, 59, nullptr, 0, 0};
const field_spec minute_spec{"minute", 0, 59, nullptr, 0, 0};
const field_spec hour_spec{"hour", 0, 23, nullptr, 0, 0};
const field_spec day_spec{"day-of-month", 1, 31, nullptr, 0, 0};
const field_spec month_spec{"month", 1, 12, &month_names, 1, 12};
// 7 is Sunday too; folded into 0 after parsing.
const field_spec weekday_spec{"day-of-week", 0, 7, &weekday_names, 0, 7};

class field_parser {
public:
  field_parser(std::string_view text, const field_spec& spec)
    : text_(text), spec_(spec) {
    // nop
  }

  // Sets the bits of every value `field` selects.
  caf::error parse(std::string_view field, std::bitset<64>& out) const {
    size_t begin = 0;
    for (;;) {
      auto end = field.find(',', begin);
      auto item = field.substr(begin, end == std::string_view::npos
                                        ? std::string_view::npos
                                        : end - begin);
      if (auto err = parse_item(item, out))
        return err;
      if (end == std::string_view::npos)
        return caf::none;
      begin = end + 1;
    }
  }

private:
  caf::error bad(std::string_view token, const std::string& why) const {
    return caf::make_error(errc::invalid_argument,
                           "cron expression \"" + std::string{text_}
                             + "\": " + spec_.name + " field: bad token \""
                             + std::string{token} + "\" (" + why + ")");
  }

  std::string allowed() const {
    auto result = "allowed " + std::to_string(spec_.min) + "-"
                  + std::to_string(spec_.max);
    if (spec_.names == &month_names)
      result += " or JAN-DEC";
    else if (spec_.names == &weekday_names)
      result += " or SUN-SAT";
    return result;
  }

  // A number or a name; none for anything else.
  std::optional<int> value(std::string_view token) const {
    if (token.empty())
      return std::nullopt;
    if (std::isdigit(static_cast<unsigned char>(token.front()))) {
      int result = 0;
      for (auto c : token) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || result > 1000)
          return std::nullopt;
        result = result * 10 + (c - '0');
      }
      return result;
    }
    if (spec_.names == nullptr || token.size() != 3)
      return std::nullopt;
    for (size_t i = 0; i < spec_.name_count; ++i) {
      auto name = (*spec_.names)[i];
      bool same = true;
      for (size_t k = 0; k < 3; ++k)
        same = same
               && std::toupper(static_cast<unsigned char>(token[k])) == name[k];
      if (same)
        return static_cast<int>(i) + spec_.names_base;
    }
    return std::nullopt;
  }

  // One value within the field's bounds, or the error naming `token`.
  caf::expected<int> bounded(std::string_view token,
                             std::string_view item) const {
    auto x = value(token);
    if (!x)
      return bad(token.empty() ? item : token, allowed());
    if (*x < spec_.min || *x > spec_.max)
      return bad(token, allowed());
    return *x;
  }

  caf::error parse_item(std::string_view item, std::bitset<64>& out) const {
    if (item.empty())
      return bad(item, "an empty list item");
    auto range = item;
    int step = 1;
    bool stepped = false;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      auto step_text = item.substr(slash + 1);
      auto x = value(step_text);
      if (step_text.empty()
          || !std::isdigit(static_cast<unsigned char>(step_text.front()))
          || !x || *x < 1 || *x > spec_.max)
        return bad(item, "a step is a number from 1 to "
                           + std::to_string(spec_.max));
      step = *x;
      stepped = true;
    }
    int lo = spec_.min;
    int hi = spec_.max;
    if (range != "*") {
      // A '-' past the first character separates a range ("-1" is just bad).
      auto dash = range.find('-', 1);
      if (dash != std::string_view::npos) {
        auto first = bounded(range.substr(0, dash), item);
        if (!first)
          return std::move(first.error());
        auto last = bounded(range.substr(dash + 1), item);
        if (!last)
          return std::move(last.error());
        if (*first > *last)
          return bad(item, "a range must not run backwards");
        lo = *first;
        hi = *last;
      } else {
        auto x = bounded(range, item);
        if (!x)
          return std::move(x.error());
        lo = *x;
        hi = stepped ? spec_.max : *x;
      }
    }
    for (auto v = lo; v <= hi; v += step)
      out.set(static_cast<size_t>(v));
    return caf::none;
  }

  std::string_view text_;
  const field_spec& spec_;
};

template <size_t N>
std::bitset<N> narrow(const std::bitset<64>& x) {
  std::bitset<N> result;
  for (size_t i = 0; i < N; ++i)
    result[i] = x[i];
  return result;
}

constexpr int64_t day_seconds = 86'400;

} // namespace

caf::expected<cron_expression> cron_expression::parse(std::string_view text) {
  return parse(text, std::chrono::minutes{0});
}

caf::expected<cron_expression> cron_expression::parse(std::string_view text,
                                                      time_zone zone) {
  auto result = parse(text, std::chrono::minutes{0});
  if (result)
    result->zone_ = std::move(zone);
  return result;
}

caf::expected<cron_expression>
cron_expression::parse(std::string_view text, std::chrono::minutes utc_offset) {
  if (utc_offset > std::chrono::hours{18} || utc_offset < -std::chrono::hours{18})
    return caf::make_error(errc::invalid_argument,
                           "cron expression \"" + std::string{text}
                             + "\": the UTC offset must be within 18 hours, "
                               "got "
                             + std::to_string(utc_offset.count()) + " min");
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    auto begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i > begin)
      fields.push_back(text.substr(begin, i - begin));
  }
  if (fields.size() != 5 && fields.size() != 6)
    return caf::make_error(errc::invalid_argument,
                           "cron expression \"" + std::string{text}
                             + "\": expected 5 or 6 fields (second minute "
                               "hour day-of-month month day-of-week, the "
                               "second optional), got "
                             + std::to_string(fields.size()));
  cron_expression result;
  result.text_ = std::string{text};
  result.offset_ = utc_offset;
  result.zone_ = time_zone::fixed(utc_offset);
  result.has_seconds_ = fields.size() == 6;
  auto first = result.has_seconds_ ? size_t{1} : size_t{0};
  std::array<std::bitset<64>, 6> bits;
  std::array<const field_spec*, 6> specs{&second_spec, &minute_spec,
                                         &hour_spec,   &day_spec,
                                         &month_spec,  &weekday_spec};
  if (result.has_seconds_) {
    if (auto err = field_parser{text, second_spec}.parse(fields[0], bits[0]))
      return err;
  } else {
    bits[0].set(0);
  }
  for (size_t k = 1; k < 6; ++k)
    if (auto err = field_parser{text, *specs[k]}.parse(fields[first + k - 1],
                                                       bits[k]))
      return err;
  if (bits[5][7])
    bits[5].set(0);
  result.seconds_ = narrow<60>(bits[0]);
  result.minutes_ = narrow<60>(bits[1]);
  result.hours_ = narrow<24>(bits[2]);
  result.days_ = narrow<32>(bits[3]);
  result.months_ = narrow<13>(bits[4]);
  result.weekdays_ = narrow<7>(bits[5]);
  result.days_star_ = fields[first + 2].front() == '*';
  result.weekdays_star_ = fields[first + 4].front() == '*';
  return result;
}

bool cron_expression::day_matches(int64_t days, unsigned day,
                                  unsigned) const {
  // 1970-01-01 was a Thursday (4).
  auto weekday = static_cast<size_t>(days + 4 - floor_div(days + 4, 7) * 7);
  auto by_day = days_[day];
  auto by_weekday = weekdays_[weekday];
  // Vixie cron: a star-led field makes both fields count, else either.
  if (days_star_ || weekdays_star_)
    return by_day && by_weekday;
  return by_day || by_weekday;
}

std::optional<int64_t> cron_expression::next_ms(int64_t after_ms) const {
  auto cursor = after_ms + zone_.offset_at(floor_div(after_ms, 1000)) * 1000;
  // Bounded: only a repeated local hour makes a second pass necessary.
  for (int i = 0; i < 8; ++i) {
    auto local = next_local(cursor);
    if (!local)
      return std::nullopt;
    auto utc = zone_.to_utc(*local);
    if (utc * 1000 > after_ms)
      return utc * 1000;
    // A local time that occurred before `after_ms` (daylight saving repeats
    // it): skip every local time up to `after_ms` read at the same offset.
    cursor = std::max(*local * 1000, after_ms + (*local - utc) * 1000);
  }
  return std::nullopt;
}

std::optional<int64_t> cron_expression::next_local(int64_t local_ms) const {
  // Local seconds of the first candidate: the next whole second, or minute.
  int64_t t = has_seconds_ ? floor_div(local_ms, 1000) + 1
                           : (floor_div(local_ms, 60'000) + 1) * 60;
  auto limit = floor_div(t, day_seconds) + 400 * 366;
  for (;;) {
    auto days = floor_div(t, day_seconds);
    if (days > limit)
      return std::nullopt;
    auto date = civil_from_days(days);
    if (!months_[date.month]) {
      // First day of the next month.
      auto year = date.year + (date.month == 12 ? 1 : 0);
      auto month = date.month == 12 ? 1u : date.month + 1;
      t = days_from_civil(year, month, 1) * day_seconds;
      continue;
    }
    if (!day_matches(days, date.day, date.month)) {
      t = (days + 1) * day_seconds;
      continue;
    }
    auto of_day = t - days * day_seconds;
    auto hour = of_day / 3600;
    if (!hours_[static_cast<size_t>(hour)]) {
      t = days * day_seconds + (hour + 1) * 3600;
      continue;
    }
    auto minute = (of_day % 3600) / 60;
    if (!minutes_[static_cast<size_t>(minute)]) {
      t = days * day_seconds + hour * 3600 + (minute + 1) * 60;
      continue;
    }
    auto second = of_day % 60;
    if (!seconds_[static_cast<size_t>(second)]) {
      ++t;
      continue;
    }
    return t;
  }
}

std::optional<std::chrono::system_clock::time_point>
cron_expression::next(std::chrono::system_clock::time_point after) const {
  using std::chrono::milliseconds;
  auto ms = std::chrono::duration_cast<milliseconds>(after.time_since_epoch());
  auto x = next_ms(ms.count());
  if (!x)
    return std::nullopt;
  return std::chrono::system_clock::time_point{
    std::chrono::duration_cast<std::chrono::system_clock::duration>(
      milliseconds{*x})};
}

} // namespace caf_cluster::cron
