// A typed client for one entity type: it sends only what the entity's CAF
// interface declares (anything else fails to compile) and routes each message
// to the entity with the given id, wherever it is active.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/mixin/requester.hpp"
#include "caf/response_handle.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/detail/message_traits.hpp"
#include "caf_cluster/detail/send.hpp"
#include "caf_cluster/detail/send_path.hpp"
#include "caf_cluster/entity.hpp"
#include "caf_cluster/errc.hpp"

namespace caf_cluster {

/// Client for entities of interface `Interface`. Cheap to copy; holds the
/// sharding service weakly, so it never keeps the service alive: after a
/// shutdown sends fail with `errc::shutting_down`; once the service is gone
/// `ask` fails with `errc::shutting_down`, `request` with CAF's
/// `sec::invalid_argument` (no receiver), and `tell` does nothing.
///
/// A message is one value (e.g. `increment{5}`) or a `std::tuple` of several
/// elements (e.g. `std::make_tuple(add_atom::value, 5)`).
template <class Interface>
class entity_client {
public:
  /// The message signatures of the entity.
  using signatures = typename Interface::signatures;

  /// @private Created by `sharding::make_client`; `persisted` are the
  /// type's persisted message kinds and `shard_group` its shard group ("" =
  /// the entity group), if the maker knows them.
  entity_client(std::string entity_type, std::weak_ptr<detail::send_path> path,
                caf::timespan default_timeout,
                std::vector<persisted_message> persisted = {},
                std::string shard_group = {})
    : entity_type_(std::move(entity_type)), path_(std::move(path)),
      default_timeout_(default_timeout),
      persisted_(std::make_shared<const std::vector<persisted_message>>(
        std::move(persisted))),
      shard_group_(std::move(shard_group)) {
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
    return request_at(self, std::move(entity_id), std::forward<Msg>(msg), 0,
                      timeout);
  }

  /// Like `request(self, id, msg, timeout)` with `cluster.send-timeout`.
  template <class Self, class Msg>
  auto request(Self* self, std::string entity_id, Msg&& msg) const {
    return request(self, std::move(entity_id), std::forward<Msg>(msg),
                   default_timeout_);
  }

  /// Like `request(self, id, msg, timeout)` for a persisted message that must
  /// not be delivered before `deliver_at_ms` (milliseconds since the Unix
  /// epoch on the cluster's clock); it waits in message storage until then,
  /// also across restarts. `timeout` counts from now. Volatile messages
  /// ignore `deliver_at_ms`.
  template <class Self, class Msg>
  auto request_at(Self* self, std::string entity_id, Msg&& msg,
                  int64_t deliver_at_ms, caf::timespan timeout) const {
    static_assert(detail::accepts<signatures, Msg>,
                  "the entity's interface does not accept this message");
    using out = detail::reply_types<signatures, Msg>;
    auto x = make_send(std::move(entity_id), std::forward<Msg>(msg), timeout,
                       deliver_at_ms);
    auto dest = prepare(x);
    // The entity manager enforces `timeout`; a CAF request timeout would
    // cost a clock-thread wake-up per message in CAF 0.17.
    auto handle = self->request(dest, caf::infinite, deliver_atom::value,
                                std::move(x));
    return caf::response_handle<Self, out,
                                caf::mixin::is_blocking_requester<Self>::value>{
      handle.id(), self};
  }

  /// Sends `msg` and blocks the calling thread until the reply arrives or
  /// `timeout` passes (then `errc::timeout`). For plain threads (main, CLIs,
  /// tests); inside actors use `request`.
  template <class Msg>
  auto ask(std::string_view entity_id, Msg&& msg, caf::timespan timeout,
           int64_t deliver_at_ms = 0) const ->
    typename detail::ask_result<signatures, Msg>::type {
    static_assert(detail::accepts<signatures, Msg>,
                  "the entity's interface does not accept this message");
    if constexpr (detail::accepts<signatures, Msg>)
      return ask_impl(entity_id, std::forward<Msg>(msg), timeout,
                      deliver_at_ms);
    else
      return {};
  }

  /// Like `ask(id, msg, timeout)` with `cluster.send-timeout`.
  template <class Msg>
  auto ask(std::string_view entity_id, Msg&& msg) const {
    return ask(entity_id, std::forward<Msg>(msg), default_timeout_);
  }

  /// Like `ask(id, msg, timeout)` for a persisted message that must not be
  /// delivered before `deliver_at_ms` (see `request_at`).
  template <class Msg>
  auto ask_at(std::string_view entity_id, Msg&& msg, int64_t deliver_at_ms,
              caf::timespan timeout) const {
    return ask(entity_id, std::forward<Msg>(msg), timeout, deliver_at_ms);
  }

  /// Sends `msg` without waiting for a reply (fire and forget; the reply and
  /// any error are dropped).
  template <class Msg>
  void tell(std::string_view entity_id, Msg&& msg) const {
    send_only(entity_id, std::forward<Msg>(msg), caf::timespan::max(), 0);
  }

  /// Like `tell`, for a persisted message that waits in message storage
  /// until `deliver_at_ms` (see `request_at`). Nothing waits for its reply
  /// beyond `cluster.send-timeout`.
  template <class Msg>
  void tell_at(std::string_view entity_id, Msg&& msg,
               int64_t deliver_at_ms) const {
    send_only(entity_id, std::forward<Msg>(msg), default_timeout_,
              deliver_at_ms);
  }

private:
  template <class Msg>
  auto ask_impl(std::string_view entity_id, Msg&& msg, caf::timespan timeout,
                int64_t deliver_at_ms) const {
    using value_type =
      typename detail::ask_value<detail::reply_types<signatures, Msg>>::type;
    caf::expected<value_type> result{
      caf::make_error(errc::shutting_down, entity_type_)};
    auto path = path_.lock();
    if (!path)
      return result;
    // The ask latency counts from where the send enters the cluster here.
    auto started = std::chrono::steady_clock::now();
    auto x = make_send(std::string{entity_id}, std::forward<Msg>(msg), timeout,
                       deliver_at_ms);
    auto dest = caf::actor_cast<caf::actor>(path->prepare(x));
    caf::scoped_actor self{path->system()};
    // The manager answers errc::timeout after `timeout`; CAF's own timeout,
    // a little later, only guards against a manager that is gone.
    self
      ->request(dest, timeout + std::chrono::seconds{1}, deliver_atom::value,
                std::move(x))
      .receive(
        on_value<value_type>(result, detail::reply_types<signatures, Msg>{}),
        [&](caf::error& err) {
          if (err == caf::sec::request_timeout)
            result = caf::make_error(
              errc::timeout, entity_type_ + "/" + std::string{entity_id});
          else
            result = std::move(err);
        });
    path->observe_ask(entity_type_, std::chrono::steady_clock::now() - started);
    return result;
  }

  template <class Msg>
  void send_only(std::string_view entity_id, Msg&& msg, caf::timespan timeout,
                 int64_t deliver_at_ms) const {
    static_assert(detail::accepts<signatures, Msg>,
                  "the entity's interface does not accept this message");
    auto x = make_send(std::string{entity_id}, std::forward<Msg>(msg), timeout,
                       deliver_at_ms);
    auto dest = prepare(x);
    caf::anon_send(dest, deliver_atom::value, std::move(x));
  }

  template <class Msg>
  detail::entity_send make_send(std::string entity_id, Msg&& msg,
                                caf::timespan timeout,
                                int64_t deliver_at_ms) const {
    detail::entity_send x;
    x.entity_type = entity_type_;
    x.entity_id = std::move(entity_id);
    x.shard_group = shard_group_;
    x.payload = detail::to_message(std::forward<Msg>(msg));
    x.timeout = timeout;
    x.meta.deliver_at_ms = deliver_at_ms;
    x.persisted = find_persisted(*persisted_, x.payload) != nullptr;
    return x;
  }

  detail::deliver_actor prepare(detail::entity_send& x) const {
    if (auto path = path_.lock())
      return path->prepare(x);
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
  std::weak_ptr<detail::send_path> path_;
  caf::timespan default_timeout_;
  // Shared: copies of a client stay cheap.
  std::shared_ptr<const std::vector<persisted_message>> persisted_;
  std::string shard_group_;
};

} // namespace caf_cluster
