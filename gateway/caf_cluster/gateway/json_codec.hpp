// Message types to and from JSON through their CAF `inspect` functions. CAF
// 0.17's inspectors see field values but no field names, so a struct is a
// JSON array of its fields in `inspect` order; the gateway's top-level
// messages get names from their declaration (`http_api`).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "caf/atom.hpp"
#include "caf/detail/type_traits.hpp"
#include "caf/error.hpp"
#include "caf/meta/annotation.hpp"
#include "caf/meta/load_callback.hpp"
#include "caf/meta/save_callback.hpp"
#include "caf/optional.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::gateway {

/// Declares the JSON keys of `type`'s fields, one per field in `inspect`
/// order, for every place the gateway writes or reads it (messages, replies,
/// workflow payloads and results, nested fields): it becomes a JSON object
/// instead of an array. Declare before the gateway starts (`http_api` does
/// it for the messages it offers); a later declaration replaces an earlier.
void declare_fields(std::type_index type, std::vector<std::string> names);

/// The keys declared for `type`, or null.
const std::vector<std::string>* declared_fields(std::type_index type);

template <class T>
nlohmann::json to_json(const T& x);

template <class T>
caf::error from_json(const nlohmann::json& in, T& x, const std::string& path);

namespace detail {

template <class T>
struct is_optional : std::false_type {};

template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_optional<caf::optional<T>> : std::true_type {};

template <class T>
struct is_tuple_like : std::false_type {};

template <class... Ts>
struct is_tuple_like<std::tuple<Ts...>> : std::true_type {};

template <class T, class U>
struct is_tuple_like<std::pair<T, U>> : std::true_type {};

template <class T>
constexpr bool is_skipped_annotation
  = caf::meta::is_annotation<std::decay_t<T>>::value;

/// The error of a value at `path` that does not fit its field.
inline caf::error bad_value(const std::string& path, const std::string& what) {
  return caf::make_error(errc::invalid_argument,
                         "field '" + path + "': " + what);
}

/// Collects a struct's fields, in `inspect` order, as a JSON array.
class json_field_writer {
public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  explicit json_field_writer(nlohmann::json& out) : out_(out) {
    // nop
  }

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (add(xs), ...);
  }

private:
  template <class T>
  void add(T& x) {
    using value_type = std::decay_t<T>;
    if constexpr (caf::meta::is_save_callback<value_type>::value)
      x.fun();
    else if constexpr (!is_skipped_annotation<T>)
      out_.push_back(to_json(x));
  }

  nlohmann::json& out_;
};

/// Counts a struct's fields.
class json_field_counter {
public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  template <class... Ts>
  void operator()(Ts&&...) {
    count += (size_t{is_skipped_annotation<Ts> ? 0u : 1u} + ... + 0);
  }

  size_t count = 0;
};

/// Fills a struct's fields, in `inspect` order, from `slots` (null: keep the
/// field's value), stopping at the first error.
class json_field_reader {
public:
  using result_type = void;
  static constexpr bool reads_state = false;
  static constexpr bool writes_state = true;

  struct slot {
    const nlohmann::json* value;
    std::string path;
  };

  explicit json_field_reader(std::vector<slot> slots)
    : slots_(std::move(slots)) {
    // nop
  }

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (take(xs), ...);
  }

  caf::error err;

private:
  template <class T>
  void take(T& x) {
    using value_type = std::decay_t<T>;
    if (err)
      return;
    if constexpr (caf::meta::is_load_callback<value_type>::value) {
      if (auto e = x.fun())
        err = bad_value(where(), to_string(e));
    } else if constexpr (!is_skipped_annotation<T>) {
      if (next_ < slots_.size()) {
        auto& s = slots_[next_];
        if (s.value != nullptr)
          err = from_json(*s.value, x, s.path);
      }
      ++next_;
    }
  }

  std::string where() const {
    return next_ == 0 ? std::string{"(value)"} : slots_[next_ - 1].path;
  }

  std::vector<slot> slots_;
  size_t next_ = 0;
};

// Reads the fields of struct `x` from the object `in`; keys are `names`,
// paths `prefix.name` (or `name` at the top).
template <class T>
caf::error fields_from_object(const nlohmann::json& in, T& x,
                              const std::vector<std::string>& names,
                              const std::string& prefix) {
  auto path_of = [&](const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  };
  if (!in.is_object())
    return bad_value(prefix.empty() ? std::string{"(body)"} : prefix,
                     "expected an object");
  for (auto& [k, v] : in.items()) {
    static_cast<void>(v);
    bool known = false;
    for (auto& name : names)
      known = known || name == k;
    if (!known)
      return caf::make_error(errc::invalid_argument,
                             "unknown field '" + path_of(k) + "'");
  }
  std::vector<json_field_reader::slot> slots;
  for (auto& name : names) {
    auto i = in.find(name);
    slots.push_back({i == in.end() ? nullptr : &*i, path_of(name)});
  }
  json_field_reader f{std::move(slots)};
  inspect(f, x);
  return std::move(f.err);
}

template <class T>
size_t field_count() {
  T x{};
  json_field_counter f;
  inspect(f, x);
  return f.count;
}

template <class Tuple, size_t... Is>
nlohmann::json tuple_to_json(const Tuple& x, std::index_sequence<Is...>) {
  auto out = nlohmann::json::array();
  (out.push_back(to_json(std::get<Is>(x))), ...);
  return out;
}

template <class Tuple, size_t... Is>
caf::error tuple_from_json(const nlohmann::json& in, Tuple& x,
                           const std::string& path,
                           std::index_sequence<Is...>) {
  if (!in.is_array() || in.size() != sizeof...(Is))
    return bad_value(path,
                     "expected an array of " + std::to_string(sizeof...(Is))
                       + " values");
  caf::error err;
  ((err = err ? std::move(err)
              : from_json(in[Is], std::get<Is>(x),
                          path + "[" + std::to_string(Is) + "]")),
   ...);
  return err;
}

template <class T>
caf::error integer_from_json(const nlohmann::json& in, T& x,
                             const std::string& path) {
  using limits = std::numeric_limits<T>;
  auto range = [&] {
    return bad_value(path,
                     "expected an integer from " + std::to_string(limits::min())
                       + " to " + std::to_string(limits::max()));
  };
  if (!in.is_number_integer())
    return range();
  if (in.is_number_unsigned()) {
    auto v = in.get<uint64_t>();
    if (v > static_cast<uint64_t>(limits::max()))
      return range();
    x = static_cast<T>(v);
    return {};
  }
  auto v = in.get<int64_t>();
  if constexpr (std::is_signed<T>::value) {
    if (v < static_cast<int64_t>(limits::min())
        || v > static_cast<int64_t>(limits::max()))
      return range();
  } else {
    if (v < 0 || static_cast<uint64_t>(v) > limits::max())
      return range();
  }
  x = static_cast<T>(v);
  return {};
}

} // namespace detail

/// Returns `x` as JSON: booleans, numbers and strings as themselves, atoms as
/// strings, durations as integer nanoseconds, optionals as the value or
/// `null`, sequences and tuples as arrays, maps with string keys as objects
/// (other maps as arrays of `[key, value]`), other inspectable types as the
/// array of their fields in `inspect` order.
template <class T>
nlohmann::json to_json(const T& x) {
  using caf::detail::is_inspectable;
  if constexpr (std::is_same<T, bool>::value) {
    return x;
  } else if constexpr (std::is_integral<T>::value
                       || std::is_floating_point<T>::value) {
    return x;
  } else if constexpr (std::is_same<T, std::string>::value) {
    return x;
  } else if constexpr (std::is_same<T, caf::atom_value>::value) {
    return to_string(x);
  } else if constexpr (caf::detail::is_duration<T>::value) {
    return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(x).count());
  } else if constexpr (detail::is_optional<T>::value) {
    return x ? to_json(*x) : nlohmann::json{};
  } else if constexpr (detail::is_tuple_like<T>::value) {
    return detail::tuple_to_json(
      x, std::make_index_sequence<std::tuple_size<T>::value>{});
  } else if constexpr (is_inspectable<detail::json_field_writer, T>::value) {
    auto out = nlohmann::json::array();
    detail::json_field_writer f{out};
    inspect(f, const_cast<T&>(x));
    auto* names = declared_fields(typeid(T));
    if (names == nullptr || names->size() != out.size())
      return out;
    auto obj = nlohmann::json::object();
    for (size_t i = 0; i < out.size(); ++i)
      obj[(*names)[i]] = std::move(out[i]);
    return obj;
  } else if constexpr (caf::detail::is_map_like<T>::value) {
    if constexpr (std::is_same<typename T::key_type, std::string>::value) {
      auto out = nlohmann::json::object();
      for (auto& [k, v] : x)
        out[k] = to_json(v);
      return out;
    } else {
      auto out = nlohmann::json::array();
      for (auto& [k, v] : x)
        out.push_back(nlohmann::json::array({to_json(k), to_json(v)}));
      return out;
    }
  } else if constexpr (caf::detail::is_iterable<T>::value) {
    auto out = nlohmann::json::array();
    for (auto& v : x)
      out.push_back(to_json(v));
    return out;
  } else if constexpr (std::is_enum<T>::value) {
    return static_cast<std::underlying_type_t<T>>(x);
  } else {
    static_assert(sizeof(T) == 0,
                  "the gateway cannot write this type as JSON: give it a CAF "
                  "inspect function");
    return {};
  }
}

/// Reads `x` from `in`, the inverse of `to_json`; an integer out of `x`'s
/// range or a value of the wrong kind fails with `errc::invalid_argument`
/// naming `path` (e.g. `field 'amount': expected an integer ...`).
template <class T>
caf::error from_json(const nlohmann::json& in, T& x, const std::string& path) {
  using caf::detail::is_inspectable;
  using detail::bad_value;
  if constexpr (std::is_same<T, bool>::value) {
    if (!in.is_boolean())
      return bad_value(path, "expected true or false");
    x = in.get<bool>();
  } else if constexpr (std::is_integral<T>::value) {
    return detail::integer_from_json(in, x, path);
  } else if constexpr (std::is_floating_point<T>::value) {
    if (!in.is_number())
      return bad_value(path, "expected a number");
    x = in.get<T>();
  } else if constexpr (std::is_same<T, std::string>::value) {
    if (!in.is_string())
      return bad_value(path, "expected a string");
    x = in.get<std::string>();
  } else if constexpr (std::is_same<T, caf::atom_value>::value) {
    if (!in.is_string() || in.get_ref<const std::string&>().size() > 10)
      return bad_value(path, "expected a string of at most 10 characters");
    x = caf::atom_from_string(in.get<std::string>());
  } else if constexpr (caf::detail::is_duration<T>::value) {
    int64_t ns = 0;
    if (auto err = detail::integer_from_json(in, ns, path))
      return bad_value(path, "expected a duration in integer nanoseconds");
    x = std::chrono::duration_cast<T>(std::chrono::nanoseconds{ns});
  } else if constexpr (detail::is_optional<T>::value) {
    if (in.is_null()) {
      x = T{};
      return {};
    }
    typename T::value_type v{};
    if (auto err = from_json(in, v, path))
      return err;
    x = std::move(v);
  } else if constexpr (detail::is_tuple_like<T>::value) {
    return detail::tuple_from_json(
      in, x, path, std::make_index_sequence<std::tuple_size<T>::value>{});
  } else if constexpr (is_inspectable<detail::json_field_reader, T>::value) {
    auto n = detail::field_count<T>();
    auto* names = declared_fields(typeid(T));
    if (names != nullptr && names->size() == n)
      return detail::fields_from_object(in, x, *names, path);
    if (!in.is_array() || in.size() != n)
      return bad_value(path,
                       "expected an array of " + std::to_string(n) + " values");
    std::vector<detail::json_field_reader::slot> slots;
    for (size_t i = 0; i < n; ++i)
      slots.push_back({&in[i], path + "[" + std::to_string(i) + "]"});
    detail::json_field_reader f{std::move(slots)};
    inspect(f, x);
    return std::move(f.err);
  } else if constexpr (caf::detail::is_map_like<T>::value) {
    x.clear();
    if constexpr (std::is_same<typename T::key_type, std::string>::value) {
      if (!in.is_object())
        return bad_value(path, "expected an object");
      for (auto& [k, v] : in.items()) {
        typename T::mapped_type value{};
        if (auto err = from_json(v, value, path + "." + k))
          return err;
        x.emplace(k, std::move(value));
      }
    } else {
      if (!in.is_array())
        return bad_value(path, "expected an array of [key, value] pairs");
      for (size_t i = 0; i < in.size(); ++i) {
        std::pair<typename T::key_type, typename T::mapped_type> kv;
        if (auto err = from_json(in[i], kv,
                                 path + "[" + std::to_string(i) + "]"))
          return err;
        x.emplace(std::move(kv));
      }
    }
  } else if constexpr (caf::detail::is_iterable<T>::value) {
    if (!in.is_array())
      return bad_value(path, "expected an array");
    x.clear();
    for (size_t i = 0; i < in.size(); ++i) {
      typename T::value_type v{};
      if (auto err = from_json(in[i], v, path + "[" + std::to_string(i) + "]"))
        return err;
      x.insert(x.end(), std::move(v));
    }
  } else if constexpr (std::is_enum<T>::value) {
    std::underlying_type_t<T> v{};
    if (auto err = detail::integer_from_json(in, v, path))
      return err;
    x = static_cast<T>(v);
  } else {
    static_assert(sizeof(T) == 0,
                  "the gateway cannot read this type from JSON: give it a CAF "
                  "inspect function");
  }
  return {};
}

/// Returns struct `x` as a JSON object whose keys are `names`, one per field
/// in `inspect` order (see `field_count`).
template <class T>
nlohmann::json to_json_object(const T& x,
                              const std::vector<std::string>& names) {
  auto fields = to_json(x);
  auto out = nlohmann::json::object();
  if (fields.is_array())
    for (size_t i = 0; i < fields.size() && i < names.size(); ++i)
      out[names[i]] = std::move(fields[i]);
  return out;
}

/// Reads struct `x` from the JSON object `in` with one key per field in
/// `names` (fields in `inspect` order); absent keys keep `x`'s values,
/// unknown keys fail with `errc::invalid_argument` naming them.
template <class T>
caf::error from_json_object(const nlohmann::json& in, T& x,
                            const std::vector<std::string>& names) {
  if (!in.is_object())
    return caf::make_error(errc::invalid_argument,
                           "the body must be a JSON object");
  return detail::fields_from_object(in, x, names, std::string{});
}

/// Returns the number of fields `inspect` shows of `T` (default-constructible).
template <class T>
size_t field_count() {
  if constexpr (caf::detail::is_inspectable<detail::json_field_counter,
                                            T>::value)
    return detail::field_count<T>();
  else
    return 0;
}

} // namespace caf_cluster::gateway
