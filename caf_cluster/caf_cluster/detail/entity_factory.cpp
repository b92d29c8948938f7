#include "caf_cluster/detail/entity_factory.hpp"

#include <exception>

#include "caf/scheduled_actor.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::detail {

void install_entity_exception_handler(caf::scheduled_actor* self,
                                      const entity_address& address) {
  self->set_exception_handler([addr = to_string(address)](
                                std::exception_ptr& ptr) -> caf::error {
    try {
      std::rethrow_exception(ptr);
    } catch (const std::exception& e) {
      return caf::make_error(errc::entity_failed, addr, std::string{e.what()});
    } catch (...) {
      return caf::make_error(errc::entity_failed, addr,
                             std::string{"unknown exception"});
    }
  });
}

} // namespace caf_cluster::detail
