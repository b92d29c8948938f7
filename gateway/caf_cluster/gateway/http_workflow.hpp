// Workflows over HTTP: `add_workflow` offers a workflow's executions (execute,
// start, poll, interrupt, resume) and named deferreds through a node's
// gateway. Header-only, so that the gateway library does not depend on the
// workflow component; programs that use it link both.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "caf/event_based_actor.hpp"

#include "caf_cluster/gateway/http_api.hpp"
#include "caf_cluster/gateway/json_codec.hpp"
#include "caf_cluster/workflow/deferred.hpp"
#include "caf_cluster/workflow/engine.hpp"
#include "caf_cluster/workflow/status.hpp"
#include "caf_cluster/workflow/workflow.hpp"

namespace caf_cluster::gateway {

namespace detail {

/// `{"status": "complete", "result": R}` or `{"status": "failed", "error": E}`.
template <class R, class E>
void put_outcome(nlohmann::json& out,
                 const caf_cluster::workflow::outcome<R, E>& x) {
  if (x.ok()) {
    out["status"] = "complete";
    out["result"] = to_json(x.value());
  } else {
    out["status"] = "failed";
    out["error"] = to_json(x.error());
  }
}

} // namespace detail

/// Declares the deferreds of one workflow for the gateway (see
/// `add_workflow`).
class http_workflow_builder {
public:
  /// @private
  http_workflow_builder(http_api& api, http_workflow wf,
                        caf_cluster::workflow::engine engine)
    : api_(api), wf_(std::move(wf)), engine_(std::move(engine)) {
    // nop
  }

  /// Lets `POST /workflows/{name}/complete` complete deferreds named `name`
  /// with a JSON value of type `T` (the type the body awaits).
  template <class T>
  http_workflow_builder& deferred(std::string name) {
    deferreds_.emplace_back(std::move(name), make_completer<T>());
    return *this;
  }

  /// Adds the workflow to the API (also done by the destructor).
  ~http_workflow_builder() {
    wf_.deferreds.clear();
    for (auto& d : deferreds_)
      wf_.deferreds.push_back(d.first);
    auto completers = std::move(deferreds_);
    auto name = wf_.name;
    wf_.complete = [completers,
                    name](const std::string& token, const nlohmann::json& value,
                          caf::timespan timeout) -> caf::expected<http_call> {
      auto t = caf_cluster::workflow::deferred_token::parse(token);
      if (!t)
        return std::move(t.error());
      if (t->workflow != name)
        return caf::make_error(errc::invalid_argument,
                               "the token belongs to workflow " + t->workflow
                                 + ", not " + name);
      for (auto& [deferred, complete] : completers)
        if (deferred == t->deferred)
          return complete(token, value, timeout);
      return caf::make_error(errc::invalid_argument,
                             "deferred '" + t->deferred + "' of " + name
                               + " is not offered over HTTP");
    };
    api_.add_workflow(std::move(wf_));
  }

  http_workflow_builder(const http_workflow_builder&) = delete;

  http_workflow_builder& operator=(const http_workflow_builder&) = delete;

private:
  using completer = std::function<caf::expected<http_call>(
    const std::string&, const nlohmann::json&, caf::timespan)>;

  template <class T>
  completer make_completer() {
    return
      [engine = engine_](const std::string& token, const nlohmann::json& json,
                         caf::timespan timeout) -> caf::expected<http_call> {
        T value{};
        if (auto err = from_json(json, value, "value"))
          return err;
        return http_call{[engine, token, value = std::move(value),
                          timeout](caf::event_based_actor* self,
                                   http_reply reply) mutable {
          auto* sys = &self->system();
          engine.complete(
            self, token, std::move(value), timeout,
            [reply] {
              reply(http_result{202, nlohmann::json{{"completed", true}}, {}});
            },
            [reply, sys](caf::error& err) {
              reply(error_result(err, *sys));
            });
        }};
      };
  }

  http_api& api_;
  http_workflow wf_;
  caf_cluster::workflow::engine engine_;
  std::vector<std::pair<std::string, completer>> deferreds_;
};

/// Offers workflow `def` of `engine` over HTTP, its payload `P` (a
/// CAF-inspectable struct) read from a JSON object with one key per field in
/// `fields` (`inspect` order); results and typed failures are written as
/// `to_json` does. Add deferreds on the returned builder:
///
/// ~~~
/// add_workflow(api, engine, order_processing, {"id", "items", "total"})
///   .deferred<bool>("approval");
/// ~~~
template <class P, class R, class E>
http_workflow_builder
add_workflow(http_api& api, caf_cluster::workflow::engine engine,
             const caf_cluster::workflow::workflow<P, R, E>& def,
             std::vector<std::string> fields) {
  namespace wf = caf_cluster::workflow;
  http_workflow entry;
  entry.name = def.name();
  if (field_count<P>() != fields.size())
    api.fail(caf::make_error(errc::invalid_config,
                             "gateway: the payload of workflow " + def.name()
                               + " has " + std::to_string(field_count<P>())
                               + " fields but " + std::to_string(fields.size())
                               + " names are given"));
  else
    declare_fields(typeid(P), fields);
  entry.fields = fields;
  auto client = engine.make_client(def);
  entry.execute = [client, fields](const nlohmann::json& body,
                                   caf::timespan timeout,
                                   bool wait) -> caf::expected<http_call> {
    P payload{};
    if (auto err = from_json_object(body, payload, fields))
      return err;
    return http_call{[client, payload = std::move(payload), timeout,
                      wait](caf::event_based_actor* self, http_reply reply) {
      auto* sys = &self->system();
      auto id = client.execution_id(payload);
      auto on_error = [reply, sys](caf::error& err) {
        reply(error_result(err, *sys));
      };
      if (!wait) {
        client.start(
          self, payload, timeout,
          [reply](std::string& id) {
            reply(http_result{202, nlohmann::json{{"execution_id", id}}, {}});
          },
          on_error);
        return;
      }
      client.execute(
        self, payload, timeout,
        [reply, id](wf::outcome<R, E>& x) {
          nlohmann::json out{{"execution_id", id}};
          detail::put_outcome(out, x);
          reply(http_result{200, std::move(out), {}});
        },
        on_error);
    }};
  };
  entry.poll = [client](std::string id, caf::timespan timeout) -> http_call {
    return [client, id = std::move(id), timeout](caf::event_based_actor* self,
                                                 http_reply reply) {
      auto* sys = &self->system();
      client.poll(
        self, id, timeout,
        [reply, id, sys](wf::poll_result<R, E>& x) {
          nlohmann::json out{{"execution_id", id}};
          if (x.result)
            detail::put_outcome(out, *x.result);
          out["status"] = to_string(x.status);
          if (x.cause)
            out["cause"] = error_text(x.cause, *sys);
          reply(
            http_result{x.status == wf::execution_status::unknown ? 404u : 200u,
                        std::move(out),
                        {}});
        },
        [reply, sys](caf::error& err) {
          reply(error_result(err, *sys));
        });
    };
  };
  entry.control = [client](std::string id, caf::timespan timeout,
                           bool resume) -> http_call {
    return [client, id = std::move(id), timeout,
            resume](caf::event_based_actor* self, http_reply reply) {
      auto* sys = &self->system();
      auto done = [reply] {
        reply(http_result{202, nlohmann::json{{"accepted", true}}, {}});
      };
      auto failed = [reply, sys](caf::error& err) {
        reply(error_result(err, *sys));
      };
      if (resume)
        client.resume(self, id, timeout, done, failed);
      else
        client.interrupt(self, id, timeout, done, failed);
    };
  };
  return http_workflow_builder{api, std::move(entry), std::move(engine)};
}

} // namespace caf_cluster::gateway
