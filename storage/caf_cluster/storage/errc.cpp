#include "caf_cluster/storage/errc.hpp"

#include "caf/actor_system_config.hpp"

#include "caf_cluster/storage/error_text.hpp"

namespace caf_cluster::storage {

std::string to_string(errc x) {
  switch (x) {
    case errc::invalid_uri:
      return "invalid_uri";
    case errc::open_failed:
      return "open_failed";
    case errc::io_error:
      return "io_error";
    case errc::busy:
      return "busy";
    case errc::corrupt:
      return "corrupt";
    case errc::fenced:
      return "fenced";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::invalid_config:
      return "invalid_config";
    case errc::exhausted:
      return "exhausted";
    case errc::unknown_runner:
      return "unknown_runner";
    case errc::runner_alive:
      return "runner_alive";
    case errc::foreign_database:
      return "foreign_database";
    case errc::unsupported:
      return "unsupported";
  }
  return "errc(" + std::to_string(static_cast<int>(x)) + ")";
}

void add_error_category(caf::actor_system_config& cfg) {
  // CAF 0.17.6's templated add_error_category<T> does not compile (its lambda
  // has the wrong signature), so we pass the renderer ourselves.
  cfg.add_error_category(errc_category, [](uint8_t code, caf::atom_value,
                                           const caf::message& context) {
    return render_error("storage", to_string(static_cast<errc>(code)),
                                 context);
  });
}

} // namespace caf_cluster::storage
