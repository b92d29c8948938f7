// The sharding service: the entry point of caf-cluster on one runner. It
// registers entity types, makes clients, computes shards and snowflakes, and
// shuts the runner down gracefully. A single runner serves every shard itself;
// a clustered runner (`make_runner`) leases its share of the shards in runner
// storage and routes everything else to its peers over a transport.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "caf/detail/type_list.hpp"
#include "caf/detail/type_traits.hpp"
#include "caf/error.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/detail/durable_state.hpp"
#include "caf_cluster/detail/entity_factory.hpp"
#include "caf_cluster/detail/entity_types.hpp"
#include "caf_cluster/detail/send_path.hpp"
#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_client.hpp"
#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/log.hpp"
#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/message_storage.hpp"
#include "caf_cluster/metrics.hpp"
#include "caf_cluster/runner_options.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/singleton.hpp"
#include "caf_cluster/snowflake.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster {

namespace internal {

struct runtime;
struct sharding_access;

} // namespace internal

/// Handle to the sharding service of one runner. Copies share the service; the
/// service shuts down when `shutdown()` is called or the last handle goes away
/// (destroy handles before the `caf::actor_system`).
class sharding {
public:
  /// Starts a sharding service with the cluster options of `sys`'s
  /// configuration (defaults where unset): a client-only node when
  /// `cluster.client-only` is true, else a single runner when
  /// `cluster.runner-address` is empty, else a socket runner. The client and
  /// the socket runner use the runner storage of `cluster.storage` (the
  /// middleman must be loaded, see
  /// `enable_socket_transport`; with `cluster.tls.*` also `enable_tls`).
  /// Fails with `errc::invalid_config`, a storage error, or the errors of
  /// `make_runner`.
  static caf::expected<sharding> make(caf::actor_system& sys);

  /// Starts a single runner with `cfg` that serves every shard itself,
  /// without a port; `clock` defaults to the system wall clock. With
  /// `cfg.storage` set to `sqlite:<path>` it keeps persisted messages and
  /// durable state in that database (one process per database), and at
  /// start runs what a previous process left unprocessed there. Fails with
  /// `errc::invalid_config` naming the bad option, or the storage's error.
  static caf::expected<sharding>
  make(caf::actor_system& sys, sharding_config cfg,
       std::shared_ptr<wall_clock> clock = nullptr);

  /// Joins the cluster of `opts.storage`: listens on
  /// `cfg.runner_listen_address` (or `cfg.runner_address`) through
  /// `opts.transport`, registers as `cfg.runner_address`, and from then on
  /// leases its share of the shards and routes messages for the others to
  /// their owners. With `opts.client_only` (or `cfg.client_only`) it only
  /// routes. Returns once
  /// listening and registered; shards follow within one lease refresh
  /// interval (messages sent earlier wait and retry).
  /// @returns `errc::invalid_config` for a bad `cfg` or a missing runner
  ///          address; `errc::invalid_argument` for missing `opts`;
  ///          `errc::runner_unavailable` when it cannot listen (port in use);
  ///          the storage's error when registration fails, e.g.
  ///          `storage::errc::invalid_config` naming
  ///          `cluster.shards-per-group` and both values on a mismatch.
  static caf::expected<sharding>
  make_runner(caf::actor_system& sys, sharding_config cfg, runner_options opts,
              std::shared_ptr<wall_clock> clock = nullptr);

  /// Registers the behaviour of entity type `def` on this runner. `fun` is
  /// a CAF typed-actor function for `Interface`, taking the actor pointer (for
  /// state: `Interface::stateful_pointer<State>`) and optionally an
  /// `entity_context`. Fails with `errc::invalid_argument` for a duplicate or
  /// empty type name or a shard group with ':' (a group this runner does not
  /// host is fine: it serves none of its shards, sends route to those that
  /// do), with `errc::invalid_config` for persisted messages or
  /// durable state on a runner without message storage or for message,
  /// reply or state types missing from the actor system's configuration
  /// (naming each; see `add_entity_types`), and with
  /// `errc::shutting_down` after `shutdown()`.
  template <class Interface, class State, class F>
  caf::error register_entity(const entity<Interface, State>& def, F fun) {
    using trait = caf::detail::get_callable_trait<F>;
    using args = typename trait::arg_types;
    using self_ptr = typename caf::detail::tl_head<args>::type;
    static_assert(trait::num_args == 1 || trait::num_args == 2,
                  "an entity behaviour takes (self) or (self, entity_context)");
    static_assert(
      std::is_same<typename std::remove_pointer_t<self_ptr>::signatures,
                   typename Interface::signatures>::value,
      "the behaviour's actor type does not implement the entity's interface");
    if constexpr (!std::is_same<State, void>::value)
      static_assert(
        std::is_same<
          self_ptr,
          typename Interface::template stateful_pointer<State>>::value,
        "an entity with durable_state<S> takes "
        "Interface::stateful_pointer<S> as its first argument");
    detail::entity_factory factory
      = [fun](caf::local_actor* manager, entity_context ctx,
              [[maybe_unused]] const std::string* state)
      -> caf::expected<caf::actor> {
      if constexpr (std::is_same<State, void>::value) {
        auto init = [fun](self_ptr self, entity_context ctx) {
          detail::install_entity_exception_handler(self, ctx.address());
          return call(fun, self, std::move(ctx));
        };
        return caf::actor_cast<caf::actor>(
          manager->spawn(init, std::move(ctx)));
      } else {
        // Decoded here, before the entity exists: a state that no longer
        // decodes fails the activation instead of starting from scratch.
        std::optional<State> restored;
        if (state) {
          auto x = decode_value<State>(manager->system(), *state);
          if (!x)
            return std::move(x.error());
          restored = std::move(*x);
        }
        auto init = [fun](self_ptr self, entity_context ctx,
                          std::optional<State> restored) {
          detail::install_entity_exception_handler(self, ctx.address());
          detail::install_state_handler(self);
          auto bhvr = call(fun, self, std::move(ctx));
          if (restored)
            self->state = std::move(*restored);
          return bhvr;
        };
        return caf::actor_cast<caf::actor>(
          manager->spawn(init, std::move(ctx), std::move(restored)));
      }
    };
    return register_entity_impl(def.name(), def.options(), std::move(factory),
                                detail::entity_type_infos<Interface, State>());
  }

  /// Returns a client for entities of type `def`. Works whether or not the
  /// type is registered here; sending to an unregistered type fails with
  /// `errc::unknown_entity_type`.
  template <class Interface, class State>
  entity_client<Interface>
  make_client(const entity<Interface, State>& def) const {
    return entity_client<Interface>{def.name(), send_path(), send_timeout(),
                                    def.options().persisted,
                                    def.options().shard_group};
  }

  /// Registers singleton `name` on this runner: `fun` is a CAF actor
  /// function (`caf::behavior(caf::event_based_actor*)`, or a typed actor's
  /// `behavior_type(pointer)`, stateful pointers too) that is spawned while
  /// this runner holds the lease of shard `shard_id(name, group)`, so that
  /// exactly one instance runs in the cluster when every runner registers
  /// it. It starts once the shard serves here (its lease acquired and its
  /// stored messages handed over); before the lease goes back it
  /// gets an exit message (`exit_reason::user_shutdown`) and is killed if it
  /// is still alive after `cluster.entity-termination-timeout`; when the
  /// lease is lost, or at the shard's deadline one
  /// `cluster.lease-refresh-interval` before an unrefreshed lease could
  /// lapse, it is killed at once (a kill takes effect between two of its
  /// messages). An instance
  /// that fails is restarted after 200 ms, doubling up to 30 s; one that quits
  /// normally stays down until its shard comes back. Reach it with
  /// `make_singleton_client`. `group` defaults to the entity group (the first
  /// of `cluster.shard-groups`, `default` unless configured), the only group
  /// singletons may use in this release. Fails with `errc::invalid_argument`
  /// for an empty or non-UTF-8 name, a name registered already, or another
  /// group, and with `errc::shutting_down` after `shutdown()`.
  template <class F>
  caf::error register_singleton(std::string name, F fun,
                                std::string group = {}) {
    detail::singleton_factory factory = [fun](caf::local_actor* mgr) {
      return caf::actor_cast<caf::actor>(mgr->spawn(fun));
    };
    return register_singleton_impl(std::move(name), std::move(group),
                                   std::move(factory));
  }

  /// Returns a client for the singleton `name` with interface `Interface`;
  /// works on every node (also where it is not registered).
  template <class Interface>
  singleton_client<Interface> make_singleton_client(std::string name) const {
    return singleton_client<Interface>{
      std::move(name),
      entity_client<Interface>{singleton_entity_type, send_path(),
                               send_timeout()}};
  }

  /// Computes the shard of `entity_id` in `group`; fails with
  /// `errc::invalid_argument` for an empty or non-UTF-8 id.
  caf::expected<caf_cluster::shard_id>
  shard_id(std::string_view entity_id, std::string group = "default") const;

  /// Returns whether this runner currently serves `shard`: holds its lease,
  /// has handed the shard's stored messages to its entities, and is before
  /// the shard's deadline (always, for a single runner); false once shut
  /// down, for groups this runner does not host (`cluster.shard-groups`)
  /// and for indexes outside the group.
  bool has_shard_id(const caf_cluster::shard_id& shard) const;

  /// Returns a new cluster-unique id.
  snowflake next_snowflake() const;

  /// Returns whether `shutdown()` was called.
  bool is_shutdown() const noexcept;

  /// Starts a graceful shutdown and returns at once: new messages fail with
  /// `errc::shutting_down`, messages already accepted finish (bounded by
  /// `cluster.entity-termination-timeout`), then entities stop; a clustered
  /// runner then releases its leases and unregisters, so that the other
  /// runners take its shards over at once.
  void shutdown();

  /// Returns a future that becomes ready when runner storage asked this
  /// runner to drain (`cluster-ctl drain`, which calls
  /// `storage::runner_driver::request_drain`), or when the runner's router
  /// stopped (nobody could reach the runner any more). The runner notices a
  /// drain request on its next lease refresh and has then already begun the
  /// graceful leave of `shutdown()`; the hosting program waits for it with
  /// `await_shutdown` and exits. Never ready on a single runner, a
  /// client-only node, or after a plain `shutdown()` (until the last handle
  /// is gone, when it holds a broken-promise `std::future_error`).
  std::shared_future<void> shutdown_requested() const;

  /// Blocks until every entity manager stopped (and a clustered runner left
  /// the cluster) or `timeout` passed; returns whether they did. Not for use
  /// under the deterministic scheduler.
  bool await_shutdown(caf::timespan timeout);

  /// Returns a snapshot of this runner's metrics.
  metrics_snapshot metrics() const;

  /// Returns a counter that this runner's metrics expose as series
  /// `family{runner="...", labels...}`, for components built on the public
  /// API (cluster cron counts its ticks, workflows their executions).
  /// Increment it with relaxed atomics; calls for the same family and
  /// labels share one counter. Fails with `errc::invalid_argument` for a
  /// family that is no Prometheus counter name ending in `_total`, one of
  /// the runner's own families, or a label named `runner` or `le`.
  caf::expected<std::shared_ptr<std::atomic<int64_t>>>
  counter(const std::string& family, const std::string& help,
          metric_labels labels = {}) const;

  /// Returns the configuration in use.
  const sharding_config& config() const noexcept;

  /// Returns the actor system the service runs in.
  caf::actor_system& system() const noexcept;

  /// Returns the cluster's clock (leases, deadlines, scheduled messages).
  std::shared_ptr<wall_clock> clock() const noexcept;

  /// Returns this runner's advertised address, `""` for a single runner or
  /// a client-only node.
  const std::string& address() const noexcept;

  /// Returns a function that writes a record of `component` with the given
  /// level and text into this node's log (the sink and
  /// `cluster.log-level` of the node), for components built on the public
  /// API such as cluster cron. It holds the log, not the service.
  std::function<void(log_level, std::string)>
  log_to(std::string component) const;

  /// Returns this runner's message storage, empty (false) without one: for
  /// code that stores sends or reads replies itself (see
  /// `message_storage`).
  caf_cluster::message_storage messages() const;

  /// Returns the storage drivers this node uses, for readers in the same
  /// process such as the gateway's dashboard: runner storage (empty on a
  /// single runner) and message storage (empty without one). Both are
  /// thread-safe; calls block on the database, so make them off actor and
  /// I/O threads, and only read.
  storage::cluster_storage storage_drivers() const;

  /// Returns the names of the singletons registered on this node, sorted.
  std::vector<std::string> singleton_names() const;

  /// Returns the actor that takes `(deliver_atom, entity_type, entity_id,
  /// caf::message[, caf::timespan timeout])` for `entity_type`: the untyped
  /// entry point for gateways and tools that only know type names at run
  /// time (it computes the shard and routes like a client). Request it with
  /// `caf::infinite` and pass the timeout in the message. After a shutdown,
  /// and on a single runner for a type it does not have, an actor that
  /// refuses every message with the reason.
  caf::actor route(const std::string& entity_type) const;

  /// @private
  explicit sharding(std::shared_ptr<internal::runtime> state);

private:
  friend struct internal::sharding_access;

  template <class F, class Self>
  static auto call(F& fun, Self self, [[maybe_unused]] entity_context ctx) {
    using trait = caf::detail::get_callable_trait<F>;
    if constexpr (trait::num_args == 2)
      return fun(self, std::move(ctx));
    else
      return fun(self);
  }

  std::weak_ptr<detail::send_path> send_path() const;

  caf::error
  register_entity_impl(const std::string& name, const entity_options& options,
                       detail::entity_factory factory,
                       const std::vector<const std::type_info*>& types);

  caf::error register_singleton_impl(std::string name, std::string group,
                                     detail::singleton_factory factory);

  caf::timespan send_timeout() const noexcept;

  std::shared_ptr<internal::runtime> state_;
};

} // namespace caf_cluster
