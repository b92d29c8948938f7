// A small streaming JSON writer for cluster-ctl's `--json` output: objects,
// arrays, strings, integers and booleans, nothing more. Written here rather
// than taken from a library because the tool needs only these few calls and
// Debian's JSON libraries would add a dependency for them.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cluster_ctl {

/// Returns `text` as a JSON string literal, quotes included. Bytes that are
/// not valid UTF-8 become U+FFFD, so the output is always valid JSON.
std::string json_quote(std::string_view text);

/// Writes one JSON document to a stream, adding commas and nothing else (no
/// whitespace but the final newline from `end_object`/`end_array` at the
/// outermost level).
class json_writer {
public:
  /// Writes to `out`.
  explicit json_writer(std::ostream& out);

  /// Opens an object (as a value, or under the last `key`).
  json_writer& begin_object();

  /// Closes the innermost object.
  json_writer& end_object();

  /// Opens an array.
  json_writer& begin_array();

  /// Closes the innermost array.
  json_writer& end_array();

  /// Writes the key of the next member of the innermost object.
  json_writer& key(std::string_view name);

  /// Writes a string value.
  json_writer& value(std::string_view x);

  /// Writes an integer value.
  json_writer& value(int64_t x);

  /// Writes an integer value.
  json_writer& value(int32_t x) {
    return value(int64_t{x});
  }

  /// Writes a boolean value.
  json_writer& value(bool x);

  /// Writes `null`.
  json_writer& null();

  /// Writes the member `name` with the value `x` (any type `value` takes).
  template <class T>
  json_writer& member(std::string_view name, const T& x) {
    key(name);
    return value(x);
  }

  /// Writes a string value; a literal would otherwise pick `bool`.
  json_writer& value(const char* x) {
    return value(std::string_view{x});
  }

private:
  void before_value();

  void close(char c);

  std::ostream& out_;
  // One entry per open container: whether it has a member yet.
  std::vector<bool> filled_;
  bool after_key_ = false;
};

} // namespace cluster_ctl
