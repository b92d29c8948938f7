// What a node offers over HTTP: the entity types and messages (and workflows,
// see http_workflow.hpp) declared for the gateway, with the field names their
// JSON uses. Nothing is reachable over HTTP unless declared here.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "caf/detail/type_list.hpp"
#include "caf/error.hpp"
#include "caf/expected.hpp"
#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/detail/message_traits.hpp"
#include "caf_cluster/entity.hpp"
#include "caf_cluster/gateway/json_codec.hpp"
#include "caf_cluster/sharding.hpp"

namespace caf_cluster::gateway {

/// The answer to a gateway call: a status and a JSON body.
struct http_result {
  /// The HTTP status.
  unsigned status = 200;
  /// The body.
  nlohmann::json body;
  /// Further header fields (e.g. `Retry-After`).
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Delivers the answer to a call; called once, from the gateway's actor.
using http_reply = std::function<void(http_result)>;

/// A decoded call, run inside the gateway's actor (which sends the message
/// and waits for the reply without blocking a thread).
using http_call = std::function<void(caf::event_based_actor*, http_reply)>;

/// The text of `err` for a person: the context of a cluster error, else
/// what the actor system renders.
std::string error_text(const caf::error& err, const caf::actor_system& sys);

/// Maps a cluster or entity error to its HTTP answer: 400 for a bad argument,
/// 404 for an unknown entity type, 503 with `Retry-After` while a shard
/// moves, no runner serves it, the mailbox is full or the node shuts down,
/// 504 on a timeout, 500 for a failed handler, 422 for the entity's own
/// errors. The body is `{"error": TEXT, "code": NAME}`.
http_result error_result(const caf::error& err, const caf::actor_system& sys);

/// One message type of an entity type, as the gateway sees it.
struct http_message {
  /// The registered name from its `inspect` (e.g. `counter.increment`).
  std::string name;
  /// The name's part after the last '.' (`increment`).
  std::string short_name;
  /// The JSON keys of its fields, in `inspect` order.
  std::vector<std::string> fields;
  /// The field the `Idempotency-Key` header fills; empty: none.
  std::string key_field;
  /// Whether the entity type persists it.
  bool persisted = false;
  /// Decodes a JSON object body into a call that sends the message to the
  /// given entity id and answers with the reply (or, `discard`, 202 at
  /// once); `errc::invalid_argument` names the bad field.
  std::function<caf::expected<http_call>(const nlohmann::json& body,
                                         std::string entity_id,
                                         caf::timespan timeout, bool discard)>
    prepare;
};

/// One workflow, as the gateway sees it (made by `add_workflow`).
struct http_workflow {
  /// The workflow's name.
  std::string name;
  /// The JSON keys of its payload's fields.
  std::vector<std::string> fields;
  /// The names of the deferreds `complete` accepts.
  std::vector<std::string> deferreds;
  /// Decodes a payload: the call starts the execution and, `wait`, answers
  /// with its outcome, else with its id once the start is stored.
  std::function<caf::expected<http_call>(const nlohmann::json& payload,
                                         caf::timespan timeout, bool wait)>
    execute;
  /// Polls execution `id`.
  std::function<http_call(std::string id, caf::timespan timeout)> poll;
  /// Interrupts (`resume`: resumes) execution `id`.
  std::function<http_call(std::string id, caf::timespan timeout, bool resume)>
    control;
  /// Completes the deferred of `token` with `value`.
  std::function<caf::expected<http_call>(const std::string& token,
                                         const nlohmann::json& value,
                                         caf::timespan timeout)>
    complete;
};

namespace detail {

/// The registered name of `T`: its `meta::type_name` from `inspect`.
class type_name_finder {
public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (look(xs), ...);
  }

  std::string name;

private:
  template <class T>
  void look(T& x) {
    if constexpr (std::is_same<std::decay_t<T>, caf::meta::type_name_t>::value)
      if (name.empty())
        name = x.value;
  }
};

template <class T>
std::string type_name_of() {
  T x{};
  type_name_finder f;
  inspect(f, x);
  return f.name;
}

/// The JSON of a reply with elements `xs`: null, the value, or an array.
template <class... Ts>
nlohmann::json reply_json(Ts&... xs) {
  if constexpr (sizeof...(Ts) == 0)
    return nullptr;
  else if constexpr (sizeof...(Ts) == 1)
    return to_json(xs...);
  else
    return nlohmann::json::array({to_json(xs)...});
}

template <class... Out>
auto on_reply(http_reply reply, caf::detail::type_list<Out...>) {
  return [reply](Out&... xs) {
    reply(http_result{200, nlohmann::json{{"reply", reply_json(xs...)}}, {}});
  };
}

} // namespace detail

template <class Interface, class State>
class http_entity_builder;

/// The entity types, messages and workflows a node's gateway offers.
class http_api {
public:
  /// Makes an empty API for `cluster`.
  explicit http_api(sharding cluster) : cluster_(std::move(cluster)) {
    // nop
  }

  /// Offers entity type `def` over HTTP; declare its messages on the
  /// returned builder:
  ///
  /// ~~~
  /// api.add_entity(counter_entity)
  ///   .message<increment>({"amount", "key"}).idempotency_key("key")
  ///   .message<get_value>();
  /// ~~~
  template <class Interface, class State>
  http_entity_builder<Interface, State>
  add_entity(const entity<Interface, State>& def) {
    return {*this, def.name(), cluster_.make_client(def),
            def.options().persisted};
  }

  /// Names the fields of `T` (a CAF-inspectable struct used in a reply, a
  /// workflow result or error, or nested in a message), one per field in
  /// `inspect` order, so that its JSON is an object rather than an array.
  template <class T>
  http_api& fields(std::vector<std::string> names) {
    if (names.size() != field_count<T>()) {
      fail(caf::make_error(
        errc::invalid_config,
        "gateway: a type with " + std::to_string(field_count<T>())
          + " fields is given " + std::to_string(names.size()) + " names ("
          + (names.empty() ? "" : names[0]) + ", ...)"));
      return *this;
    }
    declare_fields(typeid(T), std::move(names));
    return *this;
  }

  /// Adds `msg` to entity type `type` (for builders).
  void add_message(const std::string& type, http_message msg);

  /// Sets the idempotency field of the message of `type` added last.
  void set_key_field(const std::string& type, std::string field);

  /// Adds a workflow (see `add_workflow`).
  void add_workflow(http_workflow wf);

  /// Records a declaration error; the first one is kept.
  void fail(caf::error err);

  /// The first declaration error, if any.
  const caf::error& error() const noexcept {
    return error_;
  }

  /// Returns message `name` (registered or short name) of entity type
  /// `type`, or null.
  const http_message* find_message(const std::string& type,
                                   const std::string& name) const;

  /// Returns whether entity type `type` is offered.
  bool has_entity(const std::string& type) const;

  /// Returns workflow `name`, or null.
  const http_workflow* find_workflow(const std::string& name) const;

  /// Describes what is offered (`GET /entities` and `GET /workflows`).
  nlohmann::json describe() const;

  /// The sharding service.
  const sharding& cluster() const noexcept {
    return cluster_;
  }

private:
  sharding cluster_;
  std::map<std::string, std::vector<http_message>> entities_;
  std::map<std::string, http_workflow> workflows_;
  caf::error error_;
};

/// Declares the messages of one entity type for the gateway (see
/// `http_api::add_entity`).
template <class Interface, class State>
class http_entity_builder {
public:
  /// @private
  http_entity_builder(http_api& api, std::string type,
                      entity_client<Interface> client,
                      std::vector<persisted_message> persisted)
    : api_(api), type_(std::move(type)), client_(std::move(client)),
      persisted_(std::move(persisted)) {
    // nop
  }

  /// Offers message type `T` (a CAF-inspectable struct the interface
  /// accepts) with one JSON key per field in `inspect` order. A count that
  /// does not match the fields makes `http_api::error` (and the gateway's
  /// start) fail.
  template <class T>
  http_entity_builder& message(std::vector<std::string> fields = {}) {
    using sigs = typename Interface::signatures;
    static_assert(caf_cluster::detail::accepts<sigs, T>,
                  "the entity's interface does not accept this message type");
    http_message msg;
    msg.name = detail::type_name_of<T>();
    if (msg.name.empty()) {
      api_.fail(caf::make_error(errc::invalid_config,
                                "gateway: a message type of " + type_
                                  + " has no meta::type_name in its inspect"));
      return *this;
    }
    auto dot = msg.name.rfind('.');
    msg.short_name = dot == std::string::npos ? msg.name
                                              : msg.name.substr(dot + 1);
    auto n = field_count<T>();
    if (fields.size() != n) {
      api_.fail(caf::make_error(errc::invalid_config,
                                "gateway: message " + msg.name + " of " + type_
                                  + " has " + std::to_string(n) + " fields but "
                                  + std::to_string(fields.size())
                                  + " names are given"));
      return *this;
    }
    msg.fields = fields;
    declare_fields(typeid(T), fields);
    msg.persisted = find_persisted(persisted_, caf::make_message(T{}))
      != nullptr;
    msg.prepare = [client = client_, fields = std::move(fields)](
                    const nlohmann::json& body, std::string id,
                    caf::timespan timeout,
                    bool discard) -> caf::expected<http_call> {
      T value{};
      if (auto err = from_json_object(body, value, fields))
        return err;
      return http_call{[client, id = std::move(id), value = std::move(value),
                        timeout, discard](caf::event_based_actor* self,
                                          http_reply reply) mutable {
        if (discard) {
          client.tell(id, std::move(value));
          reply(http_result{202, nlohmann::json{{"accepted", true}}, {}});
          return;
        }
        using out = caf_cluster::detail::reply_types<sigs, T>;
        auto* sys = &self->system();
        client.request(self, std::move(id), std::move(value), timeout)
          .then(detail::on_reply(reply, out{}), [reply, sys](caf::error& err) {
            reply(error_result(err, *sys));
          });
      }};
    };
    api_.add_message(type_, std::move(msg));
    return *this;
  }

  /// Lets the `Idempotency-Key` header fill field `field` of the message
  /// declared last (its `primary_key`, for a persisted message).
  http_entity_builder& idempotency_key(std::string field) {
    api_.set_key_field(type_, std::move(field));
    return *this;
  }

private:
  http_api& api_;
  std::string type_;
  entity_client<Interface> client_;
  std::vector<persisted_message> persisted_;
};

} // namespace caf_cluster::gateway
