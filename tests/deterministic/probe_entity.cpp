#include "deterministic/probe_entity.hpp"

#include <stdexcept>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/sharding.hpp"

#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace probe {

work_log& log() {
  static work_log instance;
  return instance;
}

probe_actor::behavior_type probe_impl(probe_actor::stateful_pointer<probe_state> self,
                                      caf_cluster::entity_context ctx) {
  return {
    [=](add x) -> caf::result<int64_t> {
      if (x.amount < 0)
        return caf::make_error(probe_errc::negative, x.amount);
      return self->state.value += x.amount;
    },
    [=](get_value) { return self->state.value; },
    [=](fail_with x) -> caf::result<int64_t> { return caf::make_error(x.code); },
    [=](crash) -> int64_t { throw std::runtime_error("boom"); },
    [=](work x) -> caf::result<int64_t> {
      log().events.push_back("start " + std::to_string(x.n));
      auto rp = self->make_response_promise<int64_t>();
      self->request(log().echo, caf::infinite, x.n).then([=](int64_t y) mutable {
        log().events.push_back("end " + std::to_string(y));
        rp.deliver(y);
      });
      return rp;
    },
    [=](whoami) { return to_string(ctx.address()); },
    [=](quit_now) { self->quit(); },
    [=](relay x) -> caf::result<int64_t> {
      auto cluster = ctx.cluster();
      if (!cluster)
        return caf::make_error(caf_cluster::errc::shutting_down);
      auto rp = self->make_response_promise<int64_t>();
      cluster->make_client(probe_entity)
        .request(self, x.to, add{x.amount})
        .then([=](int64_t v) mutable { rp.deliver(v); },
              [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](hang) -> caf::result<int64_t> {
      log().held.push_back(self->make_response_promise<int64_t>());
      return log().held.back();
    },
  };
}

} // namespace probe
