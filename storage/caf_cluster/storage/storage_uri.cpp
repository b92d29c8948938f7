#include "caf_cluster/storage/storage_uri.hpp"

#include "caf/error.hpp"

#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster::storage {

namespace {

constexpr std::string_view sqlite_prefix = "sqlite:";

caf::error invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid storage location \"";
  msg.append(text.data(), text.size());
  msg += "\": ";
  msg.append(why.data(), why.size());
  msg += "; expected \"memory\" or \"sqlite:<path>\"";
  return caf::make_error(errc::invalid_uri, std::move(msg));
}

} // namespace

caf::expected<storage_uri> parse_storage_uri(std::string_view text) {
  if (text == "memory")
    return storage_uri{storage_uri::kind::memory, {}};
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
  }
  return "storage_uri(" + std::to_string(static_cast<int>(x.type)) + ")";
}

bool operator==(const storage_uri& x, const storage_uri& y) noexcept {
  return x.type == y.type && x.path == y.path && x.share == y.share;
}

bool operator!=(const storage_uri& x, const storage_uri& y) noexcept {
  return !(x == y);
}

} // namespace caf_cluster::storage
