#include "caf_cluster/sharding_config.hpp"

#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include "caf/actor_system_config.hpp"
#include "caf/config_option.hpp"
#include "caf/config_value.hpp"
#include "caf/make_config_option.hpp" // option_meta_state_instance
#include "caf/settings.hpp"

#include "caf_cluster/internal/config_text.hpp"

namespace caf_cluster {

namespace {

using internal::invalid_config;
using internal::option_group;
using internal::option_key;
using internal::quoted;

// The one list of options: key, description and field. Declaring, reading and
// the unknown-key check all walk it, so a field cannot be forgotten in one.
template <class F>
void for_each_option(F&& f) {
  using c = sharding_config;
  f("shards-per-group", "shards per group, 1..1000000; all runners must agree",
    &c::shards_per_group);
  f("shard-groups", "shard groups this runner hosts", &c::shard_groups);
  f("runner-address",
    "host:port advertised to peers; empty = not a network runner",
    &c::runner_address);
  f("runner-listen-address", "host:port to bind; empty = runner-address",
    &c::runner_listen_address);
  f("runner-weight", "weight on the consistent-hash ring", &c::runner_weight);
  f("entity-mailbox-capacity", "messages queued or running per entity",
    &c::entity_mailbox_capacity);
  f("max-resident-entities",
    "entities resident on this runner at most; 0 = unbounded",
    &c::max_resident_entities);
  f("entity-max-idle", "passivate entities idle this long",
    &c::entity_max_idle);
  f("entity-termination-timeout", "time an entity gets to stop",
    &c::entity_termination_timeout);
  f("lease-duration", "shard lease lifetime after a refresh",
    &c::lease_duration);
  f("lease-refresh-interval", "period of lease refreshes, < lease-duration / 2",
    &c::lease_refresh_interval);
  f("refresh-assignments-interval", "period of recomputing shard assignments",
    &c::refresh_assignments_interval);
  f("send-retry-interval", "pause before re-routing a message",
    &c::send_retry_interval);
  f("send-timeout", "default ask timeout and retry bound", &c::send_timeout);
  f("message-claim-timeout",
    "re-deliver a claimed persisted message without reply after this long",
    &c::message_claim_timeout);
  f("storage",
    "memory, sqlite:<path> or postgresql://[USER@]HOST[:PORT]/DB[?OPTIONS] "
    "(password from PGPASSWORD, ?password-file=PATH or ~/.pgpass, never in "
    "the location)",
    &c::storage);
  f("message-retention",
    "keep processed persisted messages this long after the reply; 0s = for "
    "ever",
    &c::message_retention);
  f("message-retention-by-type",
    "retention per entity type, entries \"TYPE=DURATION\"",
    &c::message_retention_by_type);
  f("retention-sweep-interval", "pause between sweeps for expired messages",
    &c::retention_sweep_interval);
  f("retention-batch-size", "messages deleted per transaction of a sweep",
    &c::retention_batch_size);
  f("storage-synchronous-full",
    "every SQLite commit waits for fsync (synchronous=FULL)",
    &c::storage_synchronous_full);
  f("client-only", "route sends to the cluster but host no shards",
    &c::client_only);
  f("log-level", "least level logged: trace, debug, info, warning, error, off",
    &c::log_level);
  f("max-message-size", "bytes of one frame or message payload at most",
    &c::max_message_size);
  f("max-entity-id-length", "bytes of an entity id at most",
    &c::max_entity_id_length);
  f("max-connections", "connections this runner keeps open at once",
    &c::max_connections);
  f("handshake-timeout", "close connections without handshake after this",
    &c::handshake_timeout);
  f("transport", "how runners reach each other: socket, websocket or http",
    &c::transport);
  f("max-clock-skew", "ignore runner heartbeats dated further ahead",
    &c::max_clock_skew);
  f("tls.ca-file", "PEM file of the cluster CA; turns on mutual TLS",
    &c::tls_ca_file);
  f("tls.cert-file", "PEM certificate of this node", &c::tls_cert_file);
  f("tls.key-file", "PEM private key of this node", &c::tls_key_file);
  f("http-listen", "HOST:PORT of the HTTP gateway; empty = none",
    &c::http_listen);
  f("http-token", "bearer token the HTTP gateway requires", &c::http_token);
  f("http-token-file", "file holding the HTTP gateway's bearer token",
    &c::http_token_file);
  f("http-anonymous",
    "serve the HTTP gateway without a token (loopback addresses only)",
    &c::http_anonymous);
  f("http-tls-certificate",
    "PEM certificate chain of the HTTP gateway; turns on HTTPS",
    &c::http_tls_certificate);
  f("http-tls-key", "PEM private key of cluster.http-tls-certificate",
    &c::http_tls_key);
}

template <class T>
struct member_type;

template <class T>
struct member_type<T sharding_config::*> {
  using type = T;
};

template <class T>
using member_type_t = typename member_type<T>::type;

// A field as CAF's config sees it: the log level is a string there.
template <class T>
const T& option_value(const T& x) {
  return x;
}

std::string option_value(log_level x) {
  return to_string(x);
}

template <class T>
using option_type_t = std::decay_t<decltype(option_value(std::declval<T>()))>;

// custom_options_ is protected and CAF 0.17 offers no public way to declare an
// option on a config object we did not derive; a member pointer formed inside
// a derived class may legally be applied to any actor_system_config.
struct option_access : caf::actor_system_config {
  static caf::config_option_set& options(caf::actor_system_config& cfg) {
    return cfg.*(&option_access::custom_options_);
  }
};

// CAF 0.17 multiplies a duration's count by its unit without an overflow
// check, so `9999999999h` became a negative number. Durations from the command
// line are parsed here instead; a count that does not fit stays the text it
// was, and read_value refuses it as too large, naming the option.
caf::expected<caf::config_value> parse_duration_flag(void* ptr,
                                                     caf::string_view str) {
  std::string text{str.begin(), str.end()};
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  auto suffix = text.substr(digits);
  for (const auto& [name, scale] : internal::duration_units) {
    if (digits == 0 || suffix != name)
      continue;
    int64_t count = 0;
    for (size_t i = 0; i < digits; ++i) {
      if (count > (std::numeric_limits<int64_t>::max() - 9) / 10)
        return caf::config_value{text};
      count = count * 10 + (text[i] - '0');
    }
    if (count > std::numeric_limits<int64_t>::max() / scale)
      return caf::config_value{text};
  }
  // Everything else (including errors) as CAF parses it.
  return caf::detail::option_meta_state_instance<caf::timespan>()->parse(ptr,
                                                                         str);
}

// CAF's own meta state, minus the type check. CAF 0.17 runs that check on INI
// values and on cfg.set, and on a mismatch drops the value with no error
// (INI) or only a line on stderr (set): the default would then win silently.
// Letting every value through moves the check to read_sharding_config, which
// refuses it with the option's name. The command line still type-checks,
// because its parse function is CAF's.
template <class T>
const caf::config_option::meta_state* deferred_check_meta_state() {
  static const caf::config_option::meta_state instance = [] {
    auto result = *caf::detail::option_meta_state_instance<T>();
    result.check = [](const caf::config_value&) -> caf::error {
      return caf::none;
    };
    if constexpr (std::is_same_v<T, caf::timespan>)
      result.parse = parse_duration_flag;
    return result;
  }();
  return &instance;
}

std::string render(const caf::config_value& x) {
  if (auto ts = caf::get_if<caf::timespan>(&x))
    return to_option_string(*ts);
  return caf::to_string(x);
}

caf::error type_error(std::string_view name, const char* expected,
                      const caf::config_value& got) {
  return invalid_config(option_key(name) + " must be " + expected + ", got "
                        + render(got));
}

caf::error read_value(std::string_view name, const caf::config_value& x,
                      int32_t& out) {
  if (auto val = caf::get_if<int32_t>(&x)) {
    out = *val;
    return caf::none;
  }
  if (caf::holds_alternative<int64_t>(x))
    return type_error(name, "a 32-bit integer", x);
  return type_error(name, "an integer", x);
}

// A value of type T as it is, or a type error naming what was expected.
template <class T>
caf::error read_as(std::string_view name, const caf::config_value& x, T& out,
                   const char* expected) {
  if (auto val = caf::get_if<T>(&x)) {
    out = *val;
    return caf::none;
  }
  return type_error(name, expected, x);
}

caf::error read_value(std::string_view name, const caf::config_value& x,
                      int64_t& out) {
  return read_as(name, x, out, "an integer");
}

caf::error read_value(std::string_view name, const caf::config_value& x,
                      caf::timespan& out) {
  if (auto str = caf::get_if<std::string>(&x);
      str && !str->empty() && (*str)[0] >= '0' && (*str)[0] <= '9')
    return invalid_config(option_key(name) + " is too large: " + *str
                          + " does not fit in 64-bit nanoseconds (at most "
                            "2562047h)");
  return read_as(name, x, out,
                 "a duration: an integer with a unit ns, us, ms, s, min or h, "
                 "e.g. 500ms or 90s");
}

caf::error read_value(std::string_view name, const caf::config_value& x,
                      std::string& out) {
  return read_as(name, x, out, "a string (double-quoted in INI files)");
}

caf::error read_value(std::string_view name, const caf::config_value& x,
                      std::vector<std::string>& out) {
  return read_as(name, x, out, "a list of strings, e.g. [\"a\", \"b\"]");
}

caf::error read_value(std::string_view name, const caf::config_value& x,
                      bool& out) {
  return read_as(name, x, out, "true or false");
}

caf::error read_value(std::string_view name, const caf::config_value& x,
                      log_level& out) {
  static constexpr const char* names
    = "one of trace, debug, info, warning, error or off";
  std::string str;
  if (auto err = read_as(name, x, str, names))
    return err;
  auto level = parse_log_level(str);
  if (!level)
    return invalid_config(option_key(name) + " must be " + names + ", got "
                          + quoted(str));
  out = *level;
  return caf::none;
}

std::string known_keys() {
  std::string result;
  for_each_option([&](std::string_view name, std::string_view, auto) {
    if (!result.empty())
      result += ", ";
    result.append(name.data(), name.size());
  });
  return result;
}
} // namespace

void declare_options(caf::actor_system_config& cfg) {
  auto& opts = option_access::options(cfg);
  if (opts.qualified_name_lookup(option_key("shards-per-group")) != nullptr)
    return;
  const sharding_config defaults;
  for_each_option(
    [&](std::string_view name, std::string_view description, auto member) {
      using value_type = option_type_t<member_type_t<decltype(member)>>;
      // The default is appended here rather than written in each description,
      // so the member initializers stay the only place that states it.
      std::string text{description};
      text += " (default: ";
      text += render(caf::config_value{option_value(defaults.*member)});
      text += ')';
      // `tls.ca-file` is option `ca-file` of category `cluster.tls`.
      auto key = option_key(name);
      auto dot = key.rfind('.');
      opts.add(caf::config_option{std::string_view{key}.substr(0, dot),
                                  std::string_view{key}.substr(dot + 1), text,
                                  deferred_check_meta_state<value_type>()});
      caf::put_missing(cfg.content, option_key(name),
                       option_value(defaults.*member));
    });
}

caf::expected<sharding_config>
read_sharding_config(const caf::actor_system_config& cfg) {
  sharding_config result;
  const caf::settings* group = nullptr;
  if (auto value = caf::get_if(&caf::content(cfg), option_group)) {
    group = caf::get_if<caf::settings>(value);
    if (group == nullptr)
      return invalid_config("cluster must be a group of options (an INI "
                            "section [cluster]), got "
                            + render(*value));
  }
  if (group != nullptr) {
    // The command line refuses unknown keys; INI files do not, so a typo
    // there would otherwise leave the default in place unnoticed.
    // Keys of a sub-group (`tls`) are checked by their dotted name.
    std::vector<std::string> keys;
    for (const auto& kvp : *group) {
      if (auto sub = caf::get_if<caf::settings>(&kvp.second)) {
        for (const auto& sub_kvp : *sub)
          keys.emplace_back(kvp.first + '.' + sub_kvp.first);
        if (sub->empty())
          keys.emplace_back(kvp.first);
      } else {
        keys.emplace_back(kvp.first);
      }
    }
    for (const auto& key : keys) {
      bool known = false;
      for_each_option([&](std::string_view name, std::string_view, auto) {
        known = known || key == name;
      });
      if (!known)
        return invalid_config("unknown option " + option_key(key)
                              + "; known options of group cluster: "
                              + known_keys());
    }
    caf::error err;
    for_each_option([&](std::string_view name, std::string_view, auto member) {
      if (err)
        return;
      if (auto value = caf::get_if(group, name))
        err = read_value(name, *value, result.*member);
    });
    if (err)
      return err;
  }
  if (auto err = result.validate())
    return err;
  return result;
}

storage::sqlite_options sharding_config::sqlite() const {
  storage::sqlite_options result;
  result.synchronous_full = storage_synchronous_full;
  result.create_missing = !client_only;
  return result;
}

} // namespace caf_cluster