// An entity that reports its activations to a census, so a test can check at
// any moment that no entity id is active twice in the cluster (the single-
// owner invariant), and on which runner each activation ran. Its handler
// replies after a delay without blocking its thread, like a slow handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/sharding.hpp"

namespace caf_cluster::testing {

/// Which activations of each entity id are alive, from any thread.
class activation_census {
public:
  /// Counts an activation of `id` on `runner` starting.
  void started(const std::string& id, const std::string& runner) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (++live_[id] > 1)
      overlap_ = true;
    runners_[id].push_back(runner);
  }

  /// Counts an activation of `id` ending.
  void stopped(const std::string& id) {
    std::lock_guard<std::mutex> guard{mtx_};
    --live_[id];
  }

  /// Returns how many activations of `id` are alive now.
  int live(const std::string& id) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = live_.find(id);
    return i == live_.end() ? 0 : i->second;
  }

  /// Returns the runners of every activation of `id` so far, in order.
  std::vector<std::string> runners(const std::string& id) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = runners_.find(id);
    return i == runners_.end() ? std::vector<std::string>{} : i->second;
  }

  /// Returns whether any id ever had two activations alive at once.
  bool overlapped() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return overlap_;
  }

private:
  mutable std::mutex mtx_;
  std::map<std::string, int> live_;
  std::map<std::string, std::vector<std::string>> runners_;
  bool overlap_ = false;
};

/// Wakes a watched entity whose delay passed.
using watch_wake_atom = caf::atom_constant<caf::atom("wwake")>;

/// `ms` -> 1 after `ms` milliseconds (0: at once).
using watched_actor = caf::typed_actor<caf::replies_to<int64_t>::with<int64_t>,
                                       caf::reacts_to<watch_wake_atom>>;

/// State of a watched entity.
struct watched_state {
  caf::typed_response_promise<int64_t> pending;
};

/// The Watched entity type.
inline const entity<watched_actor>& watched_entity() {
  static const auto def = entity<watched_actor>("Watched");
  return def;
}

/// The Watched behaviour, reporting to `census`.
inline watched_actor::behavior_type
watched_impl(watched_actor::stateful_pointer<watched_state> self,
             const entity_context& ctx,
             std::shared_ptr<activation_census> census) {
  auto id = ctx.address().entity_id;
  std::string runner;
  if (auto cluster = ctx.cluster())
    runner = cluster->address();
  census->started(id, runner);
  self->attach_functor([census, id] {
    census->stopped(id);
  });
  return {
    [=](int64_t ms) -> caf::result<int64_t> {
      if (ms == 0)
        return int64_t{1};
      self->state.pending = self->make_response_promise<int64_t>();
      self->delayed_send(self, std::chrono::milliseconds{ms},
                         watch_wake_atom::value);
      return self->state.pending;
    },
    [=](watch_wake_atom) {
      self->state.pending.deliver(int64_t{1});
    },
  };
}

/// Registers the Watched entity on `s`, reporting to `census`.
inline caf::error register_watched(sharding& s,
                                   std::shared_ptr<activation_census> census) {
  return s.register_entity(
    watched_entity(),
    [census](watched_actor::stateful_pointer<watched_state> self,
             entity_context ctx) {
      return watched_impl(self, ctx, census);
    });
}

} // namespace caf_cluster::testing
