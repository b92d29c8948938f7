// Singletons: actors that exist once in the whole cluster, on the runner that
// holds the shard their name hashes to (`sharding::register_singleton`), and
// the client that reaches one by name from any node.
#pragma once

#include <string>
#include <utility>

#include "caf/timespan.hpp"

#include "caf_cluster/entity_client.hpp"

namespace caf_cluster {

/// The entity type under which messages for singletons travel: a singleton
/// named `n` is addressed as entity `n` of this type (so its shard is
/// `shard_id(n)`), e.g. through `sharding::route(singleton_entity_type)`.
inline const std::string singleton_entity_type = "caf_cluster.singleton";

/// Client for the singleton `name` whose actor implements `Interface` (a
/// `caf::typed_actor<...>`). Cheap to copy. Messages go to the runner that
/// runs the singleton now; while it moves or restarts they are retried until
/// their timeout. Errors: `errc::timeout`, `errc::unknown_entity_type` when
/// the runner holding the name's shard has no singleton of that name, the
/// singleton's own errors unchanged.
template <class Interface>
class singleton_client {
public:
  /// The message signatures of the singleton.
  using signatures = typename Interface::signatures;

  /// @private Created by `sharding::make_singleton_client`.
  singleton_client(std::string name, entity_client<Interface> client)
    : name_(std::move(name)), client_(std::move(client)) {
    // nop
  }

  /// Returns the singleton's name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Sends `msg` from inside actor `self`; like `entity_client::request`.
  template <class Self, class Msg>
  auto request(Self* self, Msg&& msg, caf::timespan timeout) const {
    return client_.request(self, name_, std::forward<Msg>(msg), timeout);
  }

  /// Like `request(self, msg, timeout)` with `cluster.send-timeout`.
  template <class Self, class Msg>
  auto request(Self* self, Msg&& msg) const {
    return client_.request(self, name_, std::forward<Msg>(msg));
  }

  /// Sends `msg` and blocks until the reply arrives or `timeout` passes;
  /// like `entity_client::ask`.
  template <class Msg>
  auto ask(Msg&& msg, caf::timespan timeout) const {
    return client_.ask(name_, std::forward<Msg>(msg), timeout);
  }

  /// Like `ask(msg, timeout)` with `cluster.send-timeout`.
  template <class Msg>
  auto ask(Msg&& msg) const {
    return client_.ask(name_, std::forward<Msg>(msg));
  }

  /// Sends `msg` without waiting for a reply.
  template <class Msg>
  void tell(Msg&& msg) const {
    client_.tell(name_, std::forward<Msg>(msg));
  }

private:
  std::string name_;
  entity_client<Interface> client_;
};

} // namespace caf_cluster
