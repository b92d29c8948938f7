#include "caf_cluster/storage/storage_uri.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include "caf/error.hpp"

#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster::storage {

namespace {

constexpr std::string_view sqlite_prefix = "sqlite:";

constexpr std::string_view postgres_prefixes[] = {"postgresql://",
                                                  "postgres://"};

caf::error invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid storage location \"";
  msg.append(text.data(), text.size());
  msg += "\": ";
  msg.append(why.data(), why.size());
  msg += "; expected \"memory\", \"sqlite:<path>\" or "
         "\"postgresql://[USER@]HOST[:PORT]/DB[?OPTIONS]\"";
  return caf::make_error(errc::invalid_uri, std::move(msg));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Escapes what would end or split a component, so `to_string` parses back;
// `keep_slash` keeps paths readable in option values.
std::string percent_encoded(std::string_view x, bool keep_slash = false) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string result;
  for (char c : x) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '%' || c == '@' || c == ':'
        || (c == '/' && !keep_slash) || c == '?' || c == '&' || c == '=' || c == '#' || c == '['
        || c == ']') {
      result += '%';
      result += digits[u >> 4];
      result += digits[u & 0x0F];
    } else {
      result += c;
    }
  }
  return result;
}

template <class T>
std::optional<T> parse_number(std::string_view x, T min, T max) {
  T value{};
  if (x.empty() || x.front() == '+' || x.front() == '-')
    return std::nullopt;
  auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), value);
  if (ec != std::errc{} || end != x.data() + x.size() || value < min
      || value > max)
    return std::nullopt;
  return value;
}

bool valid_schema(std::string_view x) {
  if (x.empty() || x.size() > 63 || (x.front() >= '0' && x.front() <= '9'))
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Applies one `key=value` option to `loc`; returns why it is refused, or
// none.
std::optional<std::string> apply_option(std::string_view key,
                                        std::string_view raw,
                                        postgres_location& loc) {
  auto value = percent_decoded(raw);
  if (!value)
    return "the value of option " + std::string{key}
           + " has a malformed %-escape";
  if (key == "schema") {
    if (!valid_schema(*value))
      return "schema=" + *value
             + " is not a schema name (lower-case letters, digits and _, "
               "not starting with a digit, at most 63 bytes)";
    loc.schema = *value;
  } else if (key == "pool") {
    auto n = parse_number<int32_t>(*value, 1, 100);
    if (!n)
      return "pool=" + *value + " is not a whole number from 1 to 100";
    loc.pool_size = *n;
  } else if (key == "password-file") {
    if (value->empty())
      return std::string{"password-file= needs a path"};
    loc.password_file = *value;
  } else if (key == "connect-timeout") {
    auto n = parse_number<int32_t>(*value, 1, 3600);
    if (!n)
      return "connect-timeout=" + *value
             + " is not a whole number of seconds from 1 to 3600";
    loc.connect_timeout_s = *n;
  } else if (key == "statement-timeout") {
    auto n = parse_number<int32_t>(*value, 0, 86400);
    if (!n)
      return "statement-timeout=" + *value
             + " is not a whole number of seconds from 0 to 86400";
    loc.statement_timeout_s = *n;
  } else {
    return std::string{};
  }
  return std::nullopt;
}

caf::expected<storage_uri> parse_postgres(std::string_view text,
                                          std::string_view rest) {
  storage_uri result;
  result.type = storage_uri::kind::postgresql;
  auto& loc = result.postgres;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos)
    return invalid(text, "the database is missing (write /DB after the host)");
  auto authority = rest.substr(0, slash);
  auto db = rest.substr(slash + 1);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    auto userinfo = authority.substr(0, at);
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      // Quote the location without its password: error messages end up in
      // logs.
      std::string redacted{text.substr(0, text.size() - rest.size())};
      redacted.append(userinfo.substr(0, colon).data(), colon);
      redacted.append(rest.substr(at).data(), rest.size() - at);
      return invalid(redacted,
                     "a password in the location is refused (it would show "
                     "in process lists and logs): set the PGPASSWORD "
                     "environment variable, name a file with "
                     "?password-file=PATH (readable by its owner only), or "
                     "use libpq's password file (~/.pgpass or PGPASSFILE)");
    }
    auto user = percent_decoded(userinfo);
    if (!user || user->empty())
      return invalid(text, "the user name is empty or has a malformed "
                           "%-escape");
    loc.user = *user;
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return invalid(text, "the IPv6 address lacks its closing ]");
    loc.host = std::string{authority.substr(1, close - 1)};
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return invalid(text, "unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty())
        return invalid(text, "the port after : is empty");
    }
  } else {
    if (auto colon = authority.find(':'); colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
      if (port_text.empty())
        return invalid(text, "the port after : is empty");
    }
    loc.host = std::string{authority};
  }
  if (loc.host.empty())
    return invalid(text, "the host is empty");
  if (loc.host.find_first_of("%/?#@ \t") != std::string::npos)
    return invalid(text, "the host contains a character a host name cannot");
  if (!port_text.empty()) {
    auto port = parse_number<uint16_t>(port_text, 1, 65535);
    if (!port)
      return invalid(text, "the port is not a number from 1 to 65535");
    loc.port = *port;
  }
  auto database = percent_decoded(db);
  if (!database || database->empty())
    return invalid(text, "the database name is empty or has a malformed "
                         "%-escape");
  if (database->find('/') != std::string::npos)
    return invalid(text, "the database name contains /");
  loc.database = *database;
  std::vector<std::string> unknown;
  std::vector<std::string_view> seen;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return invalid(text, "option \"" + std::string{item}
                             + "\" lacks =VALUE");
    auto key = item.substr(0, eq);
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      return invalid(text, "option " + std::string{key} + " is given twice");
    seen.push_back(key);
    auto why = apply_option(key, item.substr(eq + 1), loc);
    if (!why)
      continue;
    if (why->empty())
      unknown.emplace_back(key);
    else
      return invalid(text, *why);
  }
  if (!unknown.empty()) {
    std::string why = unknown.size() == 1 ? "unknown option " : "unknown options ";
    for (size_t i = 0; i < unknown.size(); ++i)
      why += (i == 0 ? "" : ", ") + unknown[i];
    why += " (known: schema, pool, password-file, connect-timeout, "
           "statement-timeout)";
    return invalid(text, why);
  }
  return result;
}

} // namespace

std::optional<std::string> percent_decoded(std::string_view x) {
  std::string result;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] != '%') {
      if (x[i] == '\0')
        return std::nullopt;
      result += x[i];
      continue;
    }
    if (i + 2 >= x.size())
      return std::nullopt;
    auto hi = hex_value(x[i + 1]);
    auto lo = hex_value(x[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
      return std::nullopt;
    result += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return result;
}

bool operator==(const postgres_location& x,
                const postgres_location& y) noexcept {
  return x.user == y.user && x.host == y.host && x.port == y.port
         && x.database == y.database && x.schema == y.schema
         && x.pool_size == y.pool_size && x.password_file == y.password_file
         && x.connect_timeout_s == y.connect_timeout_s
         && x.statement_timeout_s == y.statement_timeout_s;
}

bool operator!=(const postgres_location& x,
                const postgres_location& y) noexcept {
  return !(x == y);
}

caf::expected<storage_uri> parse_storage_uri(std::string_view text) {
  if (text == "memory")
    return storage_uri{storage_uri::kind::memory, {}};
  for (auto prefix : postgres_prefixes)
    if (text.substr(0, prefix.size()) == prefix)
      return parse_postgres(text, text.substr(prefix.size()));
  if (text.substr(0, sqlite_prefix.size()) == sqlite_prefix) {
    auto path = text.substr(sqlite_prefix.size());
    auto share = false;
    if (auto q = path.find('?'); q != std::string_view::npos) {
      auto option = path.substr(q + 1);
      if (option != "share=1" && option != "share=0")
        return invalid(text,
                       "the only option after the path is ?share=1 or "
                       "?share=0");
      share = option == "share=1";
      path = path.substr(0, q);
    }
    if (path.empty())
      return invalid(text, "the path is empty");
    // SQLite takes a C string: a NUL would silently cut the path short.
    if (path.find('\0') != std::string_view::npos)
      return invalid(text, "the path contains a NUL character");
    return storage_uri{storage_uri::kind::sqlite, std::string{path}, share};
  }
  if (text.empty())
    return invalid(text, "the location is empty");
  return invalid(text, "unknown backend");
}

std::string to_string(const storage_uri& x) {
  switch (x.type) {
    case storage_uri::kind::memory:
      return "memory";
    case storage_uri::kind::sqlite:
      return std::string{sqlite_prefix} + x.path + (x.share ? "?share=1" : "");
    case storage_uri::kind::postgresql: {
      const auto& loc = x.postgres;
      const postgres_location defaults;
      std::string result = "postgresql://";
      if (!loc.user.empty())
        result += percent_encoded(loc.user) + "@";
      if (loc.host.find(':') != std::string::npos)
        result += "[" + loc.host + "]";
      else
        result += loc.host;
      result += ":" + std::to_string(loc.port) + "/"
                + percent_encoded(loc.database);
      std::vector<std::string> options;
      if (loc.schema != defaults.schema)
        options.push_back("schema=" + loc.schema);
      if (loc.pool_size != defaults.pool_size)
        options.push_back("pool=" + std::to_string(loc.pool_size));
      if (!loc.password_file.empty())
        options.push_back("password-file="
                          + percent_encoded(loc.password_file, true));
      if (loc.connect_timeout_s != defaults.connect_timeout_s)
        options.push_back("connect-timeout="
                          + std::to_string(loc.connect_timeout_s));
      if (loc.statement_timeout_s != defaults.statement_timeout_s)
        options.push_back("statement-timeout="
                          + std::to_string(loc.statement_timeout_s));
      for (size_t i = 0; i < options.size(); ++i)
        result += (i == 0 ? "?" : "&") + options[i];
      return result;
    }
  }
  return "storage_uri(" + std::to_string(static_cast<int>(x.type)) + ")";
}

bool operator==(const storage_uri& x, const storage_uri& y) noexcept {
  return x.type == y.type && x.path == y.path && x.share == y.share
         && x.postgres == y.postgres;
}

bool operator!=(const storage_uri& x, const storage_uri& y) noexcept {
  return !(x == y);
}

} // namespace caf_cluster::storage
