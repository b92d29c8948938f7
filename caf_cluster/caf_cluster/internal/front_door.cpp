#include "caf_cluster/internal/front_door.hpp"

#include <utility>

#include "caf/actor_system.hpp"
#include "caf/response_promise.hpp"
#include "caf/result.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/send_limits.hpp"

namespace caf_cluster::internal {

namespace {

front_door_actor::behavior_type
front_door_fn(front_door_actor::pointer self,
              std::weak_ptr<detail::send_path> path) {
  auto pass_on = [self, path](std::string& type, std::string& id,
                              caf::message& payload, caf::timespan timeout) {
    auto rp = self->make_response_promise();
    auto p = path.lock();
    if (!p) {
      rp.deliver(caf::make_error(errc::shutting_down, type));
      return;
    }
    detail::entity_send x;
    x.entity_type = std::move(type);
    x.entity_id = std::move(id);
    x.payload = std::move(payload);
    x.timeout = timeout;
    auto dest = p->prepare(x);
    rp.delegate(dest, deliver_atom::value, std::move(x));
  };
  return {
    [=](deliver_atom, std::string& type, std::string& id,
        caf::message& payload) {
      pass_on(type, id, payload, caf::timespan::max());
    },
    [=](deliver_atom, std::string& type, std::string& id, caf::message& payload,
        caf::timespan timeout) {
      pass_on(type, id, payload, timeout);
    },
  };
}

refuser_actor::behavior_type
refuser_fn(refuser_actor::pointer,
           std::shared_ptr<std::atomic<bool>> shutting_down, node_ptr node) {
  auto refuse = [=](const std::string& entity_type) -> caf::result<void> {
    if (shutting_down->load())
      return caf::make_error(errc::shutting_down, entity_type);
    return caf::make_error(errc::unknown_entity_type,
                           "entity type '" + entity_type
                             + "' is not registered on this runner");
  };
  return {
    [=](deliver_atom, const std::string& type, const std::string&,
        const caf::message&) {
      return refuse(type);
    },
    [=](deliver_atom, const std::string& type, const std::string&,
        const caf::message&, caf::timespan) {
      return refuse(type);
    },
    [=](deliver_atom, const detail::entity_send& x) -> caf::result<void> {
      if (auto err = check_send_limits(x, node->config))
        return err;
      return refuse(x.entity_type);
    },
  };
}

} // namespace

front_door_actor spawn_front_door(caf::actor_system& sys,
                                  std::weak_ptr<detail::send_path> path) {
  return sys.spawn(front_door_fn, std::move(path));
}

refuser_actor spawn_refuser(caf::actor_system& sys,
                            std::shared_ptr<std::atomic<bool>> shutting_down,
                            node_ptr node) {
  return sys.spawn(refuser_fn, std::move(shutting_down), std::move(node));
}

} // namespace caf_cluster::internal
