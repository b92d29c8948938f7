// The workflow engine of one node: runners add workflow bodies (each becomes
// an entity type "workflow/<name>"), clients and runners make clients and
// complete deferreds. Cheap to make: it only holds the sharding service.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "caf/actor_system_config.hpp"
#include "caf/error.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/detail/entity_types.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/workflow/client.hpp"
#include "caf_cluster/workflow/context.hpp"
#include "caf_cluster/workflow/detail/codec.hpp"
#include "caf_cluster/workflow/detail/core.hpp"
#include "caf_cluster/workflow/detail/messages.hpp"
#include "caf_cluster/workflow/executor.hpp"
#include "caf_cluster/workflow/journal.hpp"
#include "caf_cluster/workflow/workflow.hpp"

namespace caf_cluster::workflow {

/// The workflow engine on one node.
class engine {
public:
  /// Makes an engine on `cluster` (a runner or a client-only node). The
  /// executor (see `engine_options`) is made on the first `add`.
  explicit engine(sharding cluster, engine_options opts = {})
    : cluster_(std::move(cluster)), opts_(std::move(opts)) {
    // nop
  }

  /// Registers the body of `def` on this runner (every runner that may host
  /// its shard group must add it; needs message storage). `body` is
  /// callable as `outcome<R, E>(context&, const P&)`.
  /// @returns `errc::invalid_argument` without an idempotency key function,
  ///          for an empty name or one added already; the errors of
  ///          `sharding::register_entity` (e.g. `errc::invalid_config` without
  ///          message storage or with types missing from the config, see
  ///          `add_workflow_types`).
  template <class P, class R, class E, class F>
  caf::error add(const workflow<P, R, E>& def, F body) {
    static_assert(
      std::is_convertible<std::invoke_result_t<F&, context&, const P&>,
                          outcome<R, E>>::value,
      "a workflow body is callable as outcome<R, E>(context&, const P&)");
    if (def.name().empty())
      return caf::make_error(errc::invalid_argument, "a workflow needs a name");
    if (!def.has_idempotency_key())
      return caf::make_error(errc::invalid_argument,
                             "workflow " + def.name()
                               + " has no idempotency key function");
    auto spec = std::make_shared<detail::workflow_spec>();
    spec->name = def.name();
    spec->shard_group = def.shard_group();
    spec->suspend_on_failure = def.suspends_on_failure();
    spec->retention = def.retention();
    spec->max_idle = def.max_idle();
    spec->exec = executor_for_workflows();
    spec->body
      = [body](context& ctx,
               const std::string& bytes) mutable -> detail::body_result {
      detail::body_result result;
      auto& sys = ctx.system();
      P payload{};
      if (auto err = detail::decode_into(sys, bytes, payload)) {
        result.error = std::move(err);
        return result;
      }
      outcome<R, E> out = body(ctx, payload);
      result.ok = out.ok();
      auto encoded = out.ok() ? detail::encode(sys, out.value())
                              : detail::encode(sys, out.error());
      if (!encoded)
        result.error = std::move(encoded.error());
      else
        result.value = std::move(*encoded);
      return result;
    };
    return detail::add_workflow(cluster_, std::move(spec));
  }

  /// Returns a client for executions of `def`.
  template <class P, class R, class E>
  client<P, R, E> make_client(const workflow<P, R, E>& def) const {
    return client<P, R, E>{cluster_, def};
  }

  /// Completes a deferred from anywhere with `value` (the first completion
  /// wins; one that arrives before the body awaits it is kept). `token` is
  /// what `context::token` returned.
  /// @returns `errc::invalid_argument` for a malformed token, `errc::timeout`
  ///          when the completion is not stored within `timeout`.
  template <class T>
  caf::error complete(std::string_view token, T value, caf::timespan timeout) {
    auto bytes = detail::encode(cluster_.system(), value);
    if (!bytes)
      return std::move(bytes.error());
    detail::wf_deferred x;
    x.state = step_state::ok;
    x.value = std::move(*bytes);
    return detail::complete_deferred(cluster_, token, std::move(x), timeout);
  }

  /// Like `complete(token, value, timeout)` from inside actor `self`: calls
  /// `f()` once the completion is stored and processed, or `g(caf::error&)`.
  template <class Self, class T, class F, class G>
  void complete(Self* self, std::string_view token, T value,
                caf::timespan timeout, F f, G g) {
    auto bytes = detail::encode(cluster_.system(), value);
    if (!bytes) {
      g(bytes.error());
      return;
    }
    detail::wf_deferred x;
    x.state = step_state::ok;
    x.value = std::move(*bytes);
    complete_impl(self, token, std::move(x), timeout, f, g);
  }

  /// Like `fail(token, err, timeout)` from inside actor `self`.
  template <class Self, class F, class G>
  void fail(Self* self, std::string_view token, caf::error err,
            caf::timespan timeout, F f, G g) {
    detail::wf_deferred x;
    x.state = step_state::failed;
    x.error = std::move(err);
    complete_impl(self, token, std::move(x), timeout, f, g);
  }

  /// Completes a deferred with the error `err` (its `await` returns it).
  caf::error fail(std::string_view token, caf::error err,
                  caf::timespan timeout);

  /// Returns the sharding service.
  const sharding& cluster() const noexcept {
    return cluster_;
  }

private:
  template <class Self, class F, class G>
  void complete_impl(Self* self, std::string_view token, detail::wf_deferred x,
                     caf::timespan timeout, F f, G g) {
    auto t = deferred_token::parse(token);
    if (!t) {
      g(t.error());
      return;
    }
    x.name = t->deferred;
    cluster_.make_client(detail::execution_entity(t->workflow, t->shard_group))
      .request(self, t->execution_id, std::move(x), timeout)
      .then(
        [f](detail::wf_status&) mutable {
          f();
        },
        [g](caf::error& err) mutable {
          g(err);
        });
  }

  std::shared_ptr<executor> executor_for_workflows();

  sharding cluster_;
  engine_options opts_;
};

/// Adds the types of workflow `def` (payload, result, error, the journal and
/// the engine's messages) to `cfg`, like `add_entity_types`. Call it in
/// every process that hosts or talks to the workflow, before the actor
/// system starts.
template <class P, class R, class E>
caf::actor_system_config& add_workflow_types(caf::actor_system_config& cfg,
                                             const workflow<P, R, E>& def) {
  static_cast<void>(def);
  auto add = [&cfg](auto tag) {
    using type = typename decltype(tag)::type;
    if constexpr (caf_cluster::detail::needs_registration<type>)
      if constexpr (caf_cluster::detail::require_inspect<type>())
        if (cfg.type_names_by_rtti.count(std::type_index{typeid(type)}) == 0)
          cfg.add_message_type<type>(
            caf_cluster::detail::default_type_name<type>(cfg));
  };
  using caf_cluster::detail::type_tag;
  add(type_tag<P>{});
  add(type_tag<R>{});
  add(type_tag<E>{});
  add(type_tag<execution_journal>{});
  add(type_tag<detail::wf_status>{});
  add(type_tag<detail::wf_start>{});
  add(type_tag<detail::wf_step>{});
  add(type_tag<detail::wf_wake>{});
  add(type_tag<detail::wf_deferred>{});
  add(type_tag<detail::wf_child_done>{});
  add(type_tag<detail::wf_interrupt>{});
  add(type_tag<detail::wf_attach>{});
  add(type_tag<detail::wf_resume>{});
  add(type_tag<detail::wf_purge>{});
  add(type_tag<detail::wf_purge_now>{});
  add(type_tag<detail::wf_poll>{});
  add(type_tag<detail::wf_watch>{});
  add(type_tag<detail::wf_finished>{});
  return cfg;
}

} // namespace caf_cluster::workflow
