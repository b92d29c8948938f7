// A typed client for one entity type: it sends only what the entity's CAF
// interface declares (anything else fails to compile) and routes each message
// to the entity with the given id, wherever it is active.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/mixin/requester.hpp"
#include "caf/response_handle.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/entity.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/delivery.hpp"
#include "caf_cluster/internal/message_traits.hpp"
#include "caf_cluster/internal/sharding_state.hpp"

namespace caf_cluster {

/// Client for entities of interface `Interface`. Cheap to copy; holds the
/// sharding service weakly, so after the service is gone every call fails with
/// `errc::shutting_down`.
///
/// A message is one value (e.g. `increment{5}`) or a `std::tuple` of several
/// elements (e.g. `std::make_tuple(add_atom::value, 5)`).
template <class Interface>
class entity_client {
public:
  /// The message signatures of the entity.
  using signatures = typename Interface::signatures;

  /// @private Created by `sharding::make_client`.
  entity_client(std::string entity_type,
                std::weak_ptr<internal::sharding_state> state,
                caf::timespan default_timeout)
    : entity_type_(std::move(entity_type)),
      state_(std::move(state)),
      default_timeout_(default_timeout) {
    // nop
  }

  /// Returns the entity type this client talks to.
  const std::string& entity_type() const noexcept {
    return entity_type_;
  }

  /// Sends `msg` to entity `entity_id` from inside the actor `self` and returns
  /// a typed handle for `.then(on_reply, on_error)`. Errors arrive as
  /// `caf::error`: cluster errors (`errc`, `errc::timeout` when the entity has
  /// not replied within `timeout`) and the entity's own errors unchanged.
  template <class Self, class Msg>
  auto request(Self* self, std::string entity_id, Msg&& msg,
               caf::timespan timeout) const {
    static_assert(internal::accepts<signatures, Msg>,
                  "the entity's interface does not accept this message");
    using out = internal::reply_types<signatures, Msg>;
    // The entity manager enforces `timeout`; a CAF request timeout would
    // cost a clock-thread wake-up per message in CAF 0.17.
    auto handle = self->request(target(), caf::infinite, deliver_atom::value,
                                entity_type_, std::move(entity_id),
                                internal::to_message(std::forward<Msg>(msg)),
                                timeout);
    return caf::response_handle<Self, out,
                                caf::mixin::is_blocking_requester<Self>::value>{
      handle.id(), self};
  }

  /// Like `request(self, id, msg, timeout)` with `cluster.send-timeout`.
  template <class Self, class Msg>
  auto request(Self* self, std::string entity_id, Msg&& msg) const {
    return request(self, std::move(entity_id), std::forward<Msg>(msg),
                   default_timeout_);
  }

  /// Sends `msg` and blocks the calling thread until the reply arrives or
  /// `timeout` passes (then `errc::timeout`). For plain threads (main, CLIs,
  /// tests); inside actors use `request`.
  template <class Msg>
  auto ask(std::string_view entity_id, Msg&& msg, caf::timespan timeout,
           int64_t deliver_at_ms = 0) const
    -> caf::expected<typename internal::ask_value<
      internal::reply_types<signatures, Msg>>::type> {
    static_assert(internal::accepts<signatures, Msg>,
                  "the entity's interface does not accept this message");
    using value_type = typename internal::ask_value<
      internal::reply_types<signatures, Msg>>::type;
    caf::expected<value_type> result{
      caf::make_error(errc::shutting_down, entity_type_)};
    auto st = state_.lock();
    if (!st)
      return result;
    caf::scoped_actor self{st->system};
    // The manager answers errc::timeout after `timeout`; CAF's own timeout,
    // a little later, only guards against a manager that is gone.
    self
      ->request(st->route(entity_type_), timeout + std::chrono::seconds{1},
                deliver_atom::value, entity_type_, std::string{entity_id},
                internal::to_message(std::forward<Msg>(msg)), timeout,
                internal::delivery{0, 0, deliver_at_ms})
      .receive(on_value<value_type>(result,
                                    internal::reply_types<signatures, Msg>{}),
               [&](caf::error& err) {
                 if (err == caf::sec::request_timeout)
                   result = caf::make_error(errc::timeout, entity_type_ + "/"
                                                             + std::string{
                                                               entity_id});
                 else
                   result = std::move(err);
               });
    return result;
  }

  /// Like `ask(id, msg, timeout)` with `cluster.send-timeout`.
  template <class Msg>
  auto ask(std::string_view entity_id, Msg&& msg) const {
    return ask(entity_id, std::forward<Msg>(msg), default_timeout_);
  }

  /// Like `ask(id, msg, timeout)` for a persisted message that must not be
  /// delivered before `deliver_at_ms` (milliseconds since the Unix epoch on
  /// the cluster's clock); it waits in message storage until then, also
  /// across restarts. `timeout` counts from now. Volatile messages ignore
  /// `deliver_at_ms`.
  template <class Msg>
  auto ask_at(std::string_view entity_id, Msg&& msg, int64_t deliver_at_ms,
              caf::timespan timeout) const {
    return ask(entity_id, std::forward<Msg>(msg), timeout, deliver_at_ms);
  }

  /// Sends `msg` without waiting for a reply (fire and forget; the reply and
  /// any error are dropped).
  template <class Msg>
  void tell(std::string_view entity_id, Msg&& msg) const {
    static_assert(internal::accepts<signatures, Msg>,
                  "the entity's interface does not accept this message");
    caf::anon_send(target(), deliver_atom::value, entity_type_,
                   std::string{entity_id},
                   internal::to_message(std::forward<Msg>(msg)));
  }

  /// Like `tell`, for a persisted message that waits in message storage
  /// until `deliver_at_ms` (see `ask_at`).
  template <class Msg>
  void tell_at(std::string_view entity_id, Msg&& msg,
               int64_t deliver_at_ms) const {
    static_assert(internal::accepts<signatures, Msg>,
                  "the entity's interface does not accept this message");
    caf::anon_send(target(), deliver_atom::value, entity_type_,
                   std::string{entity_id},
                   internal::to_message(std::forward<Msg>(msg)),
                   default_timeout_, internal::delivery{0, 0, deliver_at_ms});
  }

private:
  caf::actor target() const {
    if (auto st = state_.lock())
      return st->route(entity_type_);
    return {};
  }

  template <class Value, class... Out>
  static auto on_value(caf::expected<Value>& result,
                       caf::detail::type_list<Out...>) {
    return [&result](Out&... xs) {
      if constexpr (sizeof...(Out) == 0)
        result = caf::expected<void>{};
      else if constexpr (sizeof...(Out) == 1)
        result = std::move(xs...);
      else
        result = std::make_tuple(std::move(xs)...);
    };
  }

  std::string entity_type_;
  std::weak_ptr<internal::sharding_state> state_;
  caf::timespan default_timeout_;
};

} // namespace caf_cluster
