// The state behind a `sharding` handle: the node's shared context and the
// actors of the runner (router, shard manager, storage writer, recovery,
// singleton manager, the front door for untyped sends). Handles own it;
// clients and entity contexts hold it weakly, and no actor holds it, so it
// goes away (and shuts the runner down) with the last handle.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/detail/send_path.hpp"
#include "caf_cluster/internal/front_door.hpp"
#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/internal/recovery_actor.hpp"
#include "caf_cluster/internal/router_actor.hpp"
#include "caf_cluster/internal/shard_manager_actor.hpp"
#include "caf_cluster/internal/singleton_manager_actor.hpp"
#include "caf_cluster/message_storage.hpp"
#include "caf_cluster/runner_options.hpp"

namespace caf_cluster::internal {

/// The sharding service of one node.
struct runtime : detail::send_path {
  /// Creates the service of a single runner (`options.transport` empty:
  /// owns every shard forever) or of a clustered node.
  runtime(caf::actor_system& sys, sharding_config cfg,
          std::shared_ptr<wall_clock> clk, runner_options opts);

  /// Initiates a shutdown (idempotent) and stops the node's actors.
  ~runtime() override;

  // -- detail::send_path -----------------------------------------------------

  caf::actor_system& system() const noexcept override;

  caf::timespan send_timeout() const noexcept override;

  detail::deliver_actor prepare(detail::entity_send& x) const override;

  void observe_ask(const std::string& entity_type,
                   caf::timespan elapsed) const override;

  // -- the service -----------------------------------------------------------

  /// Returns the actor that takes the untyped sends of `sharding::route`
  /// for `entity_type`: the front door, or the refuser when shut down or on
  /// a single runner without the type.
  caf::actor route(const std::string& entity_type) const;

  /// Sets the shutdown flag and asks every participant and the shard
  /// manager to stop; returns false if a shutdown was already under way.
  bool begin_shutdown();

  /// Starts the graceful leave that storage asked for, then makes
  /// `drain_requested` ready (once).
  void drain();

  /// Ready once storage asked this runner to drain; see
  /// `sharding::shutdown_requested`.
  std::shared_future<void> drain_requested;

  /// Returns whether this node belongs to a cluster (router present).
  bool clustered() const noexcept {
    return static_cast<bool>(router);
  }

  /// The shared context of the node's actors.
  std::shared_ptr<node_context> node;

  /// What the node was given to join a cluster (empty: a single runner).
  runner_options options;

  /// This runner's advertised address; empty for single and client-only.
  std::string address;

  /// Whether the node started completely (and said so in the log); a node
  /// that failed to start logs no stop either: its error says it all.
  bool started = false;

  /// Set by `begin_shutdown`; also read by the refuser.
  std::shared_ptr<std::atomic<bool>> shutting_down
    = std::make_shared<std::atomic<bool>>(false);

  /// Answers sends it gets with `shutting_down` or `unknown_entity_type`.
  refuser_actor refuser;

  /// Takes the untyped sends of `route` and passes them on like clients do.
  front_door_actor front_door;

  /// Message storage; empty without.
  message_storage storage;

  /// Routes sends for shards served elsewhere; null for a single runner.
  router_actor router;

  /// Holds this runner's leases; null for a single runner.
  shard_manager_actor shard_manager;

  /// Runs this runner's singletons; registered as the manager of
  /// `singleton_entity_type`.
  singleton_manager_actor singletons;

  /// Hands stored messages to the entity managers; null without message
  /// storage.
  recovery_actor recovery;

  /// Names of the singletons registered here.
  std::set<std::string> singleton_names;

  /// Guards `singleton_names`.
  std::mutex singleton_mutex;

private:
  std::promise<void> drain_promise_;
  std::once_flag drain_once_;
};

/// Stops the runner behind `st` as a crash would: its actors die at once, it
/// serves nothing and stops listening, and it neither releases its leases
/// nor unregisters (the others take over when the leases expire).
void simulate_crash(runtime& st);

} // namespace caf_cluster::internal
