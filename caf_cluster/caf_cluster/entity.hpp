// The definition of an entity type: a CAF typed actor interface, a name that is
// unique in the cluster, and options. Clients are made from a definition alone,
// so a node can talk to entities it does not host.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "caf/message.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/detail/message_traits.hpp"

namespace caf_cluster {

/// Whether message type `T` names its own deduplication key: a member
/// `std::string primary_key() const`. A persisted message with a key is
/// processed once per key and entity, however often it is sent (a client
/// that retries after an error sends the same key again).
template <class T, class = void>
struct has_primary_key : std::false_type {};

template <class T>
struct has_primary_key<
  T, std::void_t<decltype(std::string{std::declval<const T&>().primary_key()})>>
  : std::true_type {};

/// A message type whose messages go through message storage.
struct persisted_message {
  /// Whether a message is one of this type.
  std::function<bool(const caf::message&)> matches;

  /// The message's own primary key, or an empty string for the default (the
  /// send's identity).
  std::function<std::string(const caf::message&)> key;
};

/// Per-type options; unset values fall back to the `sharding_config` defaults.
struct entity_options {
  /// Passivate an entity after this long without messages
  /// (default: `cluster.entity-max-idle`).
  std::optional<caf::timespan> max_idle;

  /// Bound on messages queued or running for one entity; one more volatile
  /// message is refused with `errc::mailbox_full`, one more persisted message
  /// waits in storage (default: `cluster.entity-mailbox-capacity`).
  std::optional<int64_t> mailbox_capacity;

  /// Never passivate entities of this type (they stay resident until their
  /// shard moves or the runner stops).
  bool keep_alive = false;

  /// The message types stored before delivery (see `entity::persisted`).
  std::vector<persisted_message> persisted;

  /// Whether entities of this type have durable state (see
  /// `entity::durable_state`).
  bool durable = false;

  /// The shard group of this type's entities (see `entity::shard_group`);
  /// empty for the entity group, the first of `cluster.shard-groups`.
  std::string shard_group;

  /// How long processed persisted messages of this type are kept after their
  /// reply (see `entity::message_retention`); zero for ever (default:
  /// `cluster.message-retention`).
  std::optional<caf::timespan> message_retention;
};

/// The `entity::message_retention` that keeps a type's processed messages
/// (and so the recognition of their duplicate keys) for ever.
constexpr caf::timespan retain_forever{0};

/// Returns the type of `kinds` that `msg` belongs to, or null if `msg` is
/// volatile.
inline const persisted_message*
find_persisted(const std::vector<persisted_message>& kinds,
               const caf::message& msg) {
  for (auto& x : kinds)
    if (x.matches(msg))
      return &x;
  return nullptr;
}

/// Definition of an entity type whose behaviour implements `Interface`, a
/// `caf::typed_actor<...>`, with durable state `State` (`void`: none).
/// Builder-style: every setter returns a copy, so a definition can be a
/// namespace-scope constant:
///
/// ~~~
/// inline const auto counter = caf_cluster::entity<counter_actor>("Counter")
///   .persisted<increment, decrement>()
///   .durable_state<counter_state>()
///   .max_idle(std::chrono::minutes{2})
///   .mailbox_capacity(4096);
/// ~~~
template <class Interface, class State = void>
class entity {
public:
  template <class, class>
  friend class entity;

  /// The typed actor interface of this entity.
  using interface_type = Interface;

  /// The durable state type, or `void`.
  using state_type = State;

  /// The message signatures a client may send.
  using signatures = typename Interface::signatures;

  /// Creates a definition for the entity type `name`.
  explicit entity(std::string name) : name_(std::move(name)) {
    // nop
  }

  /// Returns the entity type name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Returns the options of this type.
  const entity_options& options() const noexcept {
    return options_;
  }

  /// Returns a copy that passivates entities after `x` without messages.
  [[nodiscard]] entity max_idle(caf::timespan x) const {
    auto result = *this;
    result.options_.max_idle = x;
    return result;
  }

  /// Returns a copy that queues at most `x` messages per entity (volatile
  /// ones beyond are refused, persisted ones wait in storage).
  [[nodiscard]] entity mailbox_capacity(int64_t x) const {
    auto result = *this;
    result.options_.mailbox_capacity = x;
    return result;
  }

  /// Returns a copy whose entities are never passivated when `x` is true.
  [[nodiscard]] entity keep_alive(bool x = true) const {
    auto result = *this;
    result.options_.keep_alive = x;
    return result;
  }

  /// Returns a copy whose processed persisted messages and their replies are
  /// deleted `x` after the reply was stored (`retain_forever`: never),
  /// instead of after `cluster.message-retention`. A duplicate primary key is
  /// recognised (and answered with the stored reply) until then; afterwards
  /// it is a new message. An entry for this type in
  /// `cluster.message-retention-by-type` takes precedence. Runners that
  /// register the type should agree on it: each sweeps with its own value.
  [[nodiscard]] entity message_retention(caf::timespan x) const {
    auto result = *this;
    result.options_.message_retention = x;
    return result;
  }

  /// Returns a copy whose entities live in shard group `group`: their shards
  /// are `group:1..shards-per-group`, served by the runners that list `group`
  /// in `cluster.shard-groups` (others route to them). Empty: the entity
  /// group, the first of `cluster.shard-groups`.
  [[nodiscard]] entity shard_group(std::string group) const {
    auto result = *this;
    result.options_.shard_group = std::move(group);
    return result;
  }

  /// Returns a copy that stores messages of the types `Ts` (values or
  /// `std::tuple`s, as clients send them) before delivering them and their
  /// replies after the handler: they survive crashes and shard moves and are
  /// processed once per primary key (`has_primary_key`; by default once per
  /// send). Needs message storage on the runners that host the type.
  template <class... Ts>
  [[nodiscard]] entity persisted() const {
    static_assert(sizeof...(Ts) > 0, "name at least one message type");
    static_assert((detail::accepts<signatures, Ts> && ...),
                  "the entity's interface does not accept this message type");
    auto result = *this;
    (result.options_.persisted.push_back(make_persisted<Ts>()), ...);
    return result;
  }

  /// Returns a copy whose entities keep `S`, the state of their stateful
  /// actor, in message storage: loaded at activation (set right after the
  /// behaviour function returned, before the first message) and stored with the
  /// reply of each persisted message (in the same transaction). `S` must be
  /// CAF-inspectable and added on every runner (`add_entity_types`).
  template <class S>
  [[nodiscard]] entity<Interface, S> durable_state() const {
    static_assert(std::is_same<State, void>::value,
                  "durable_state is set already");
    entity<Interface, S> result{name_};
    result.options_ = options_;
    result.options_.durable = true;
    return result;
  }

private:
  template <class T>
  static persisted_message make_persisted() {
    using elements = typename detail::message_elements<T>::type;
    persisted_message result;
    result.matches = [](const caf::message& msg) {
      return match(msg, elements{});
    };
    result.key = [](const caf::message& msg) -> std::string {
      if constexpr (has_primary_key<T>::value)
        return msg.get_as<T>(0).primary_key();
      else
        return std::string{};
    };
    return result;
  }

  template <class... Es>
  static bool match(const caf::message& msg, caf::detail::type_list<Es...>) {
    return msg.match_elements<Es...>();
  }

  std::string name_;
  entity_options options_;
};

} // namespace caf_cluster
