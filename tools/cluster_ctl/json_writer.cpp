#include "json_writer.hpp"

#include <cstdio>

namespace cluster_ctl {

namespace {

// Returns the length of the valid UTF-8 sequence at `text[i]`, or 0.
size_t utf8_length(std::string_view text, size_t i) {
  auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  auto c = byte(i);
  size_t n = c < 0x80        ? 1
    : c >= 0xC2 && c <= 0xDF ? 2
    : c >= 0xE0 && c <= 0xEF ? 3
    : c >= 0xF0 && c <= 0xF4 ? 4
                             : 0;
  if (n == 0 || i + n > text.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
  // Overlong forms, surrogates and code points past U+10FFFF.
  if ((c == 0xE0 && byte(i + 1) < 0xA0) || (c == 0xED && byte(i + 1) > 0x9F)
      || (c == 0xF0 && byte(i + 1) < 0x90) || (c == 0xF4 && byte(i + 1) > 0x8F))
    return 0;
  return n;
}

} // namespace

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04X", c);
      out += buf;
    } else if (auto n = utf8_length(text, i); n == 0) {
      out += "\\uFFFD";
    } else {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  out += '"';
  return out;
}

json_writer::json_writer(std::ostream& out) : out_(out) {
  // nop
}

void json_writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!filled_.empty()) {
    if (filled_.back())
      out_ << ',';
    filled_.back() = true;
  }
}

void json_writer::close(char c) {
  filled_.pop_back();
  out_ << c;
  if (filled_.empty())
    out_ << '\n';
}

json_writer& json_writer::begin_object() {
  before_value();
  out_ << '{';
  filled_.push_back(false);
  return *this;
}

json_writer& json_writer::end_object() {
  close('}');
  return *this;
}

json_writer& json_writer::begin_array() {
  before_value();
  out_ << '[';
  filled_.push_back(false);
  return *this;
}

json_writer& json_writer::end_array() {
  close(']');
  return *this;
}

json_writer& json_writer::key(std::string_view name) {
  before_value();
  out_ << json_quote(name) << ':';
  after_key_ = true;
  return *this;
}

json_writer& json_writer::value(std::string_view x) {
  before_value();
  out_ << json_quote(x);
  return *this;
}

json_writer& json_writer::value(int64_t x) {
  before_value();
  out_ << x;
  return *this;
}

json_writer& json_writer::value(bool x) {
  before_value();
  out_ << (x ? "true" : "false");
  return *this;
}

json_writer& json_writer::null() {
  before_value();
  out_ << "null";
  return *this;
}

} // namespace cluster_ctl
