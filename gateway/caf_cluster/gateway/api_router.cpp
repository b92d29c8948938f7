#include "caf_cluster/gateway/api_router.hpp"

#include <charconv>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "caf_cluster/storage/storage_uri.hpp"

namespace caf_cluster::gateway {
namespace {

/// A call and where its answer goes; local to this process only.
struct queued_call {
  http_call call;
  http_reply reply;
};

} // namespace
} // namespace caf_cluster::gateway

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(caf_cluster::gateway::queued_call)

namespace caf_cluster::gateway {
namespace {

constexpr size_t max_json_depth = 64;
constexpr int64_t max_timeout_ms = 55'000;

caf::behavior call_runner(caf::event_based_actor* self) {
  return {
    [self](queued_call& x) {
      x.call(self, std::move(x.reply));
    },
  };
}

http_response to_response(const http_result& x) {
  http_response res;
  res.status = x.status;
  res.content_type = "application/json";
  res.headers = x.headers;
  res.body = x.body.dump(-1, ' ', false,
                         nlohmann::json::error_handler_t::replace);
  res.body += '\n';
  return res;
}

http_response json_error(unsigned status, const std::string& code,
                         const std::string& text) {
  return to_response(
    http_result{status, nlohmann::json{{"error", text}, {"code", code}}, {}});
}

http_response bad_request(const std::string& text) {
  return json_error(400, "invalid_argument", text);
}

http_response not_found(const std::string& text) {
  return json_error(404, "not_found", text);
}

http_response wrong_method(const std::string& method,
                           const std::string& allow) {
  auto res = json_error(405, "method_not_allowed",
                        method + " is not allowed here");
  res.headers.emplace_back("Allow", allow);
  return res;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (;;) {
    auto end = text.find(sep, begin);
    parts.push_back(text.substr(begin, end - begin));
    if (end == std::string::npos)
      return parts;
    begin = end + 1;
  }
}

// The value of `key` in a query string, or "" when absent.
std::string query_value(const std::string& query, const std::string& key) {
  for (auto& pair : split(query, '&')) {
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string::npos ? std::string{} : pair.substr(eq + 1);
  }
  return {};
}

caf::expected<caf::timespan> timeout_of(const http_request& req,
                                        caf::timespan fallback) {
  auto text = query_value(req.query, "timeout_ms");
  if (text.empty())
    return fallback;
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc{} || end != text.data() + text.size() || ms < 1
      || ms > max_timeout_ms)
    return caf::make_error(errc::invalid_argument,
                           "timeout_ms must be an integer from 1 to "
                             + std::to_string(max_timeout_ms));
  return caf::timespan{std::chrono::milliseconds{ms}};
}

caf::expected<nlohmann::json> parse_body(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    return nlohmann::json::object();
  if (json_depth(body) > max_json_depth)
    return caf::make_error(errc::invalid_argument,
                           "the body nests deeper than "
                             + std::to_string(max_json_depth) + " levels");
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    return caf::make_error(errc::invalid_argument,
                           std::string{"bad JSON: "} + e.what());
  }
}

} // namespace

caf::expected<std::string> percent_decode(const std::string& segment) {
  if (auto decoded = storage::percent_decoded(segment))
    return std::move(*decoded);
  return caf::make_error(errc::invalid_argument,
                         "bad percent escape in '" + segment + "'");
}

size_t json_depth(const std::string& text) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

api_router::api_router(std::shared_ptr<const http_api> api)
  : api_(std::move(api)) {
  runner_ = api_->cluster().system().spawn(call_runner);
}

api_router::~api_router() {
  caf::anon_send_exit(runner_, caf::exit_reason::user_shutdown);
}

bool api_router::owns(const std::string& path) {
  return path == "/entities" || path == "/workflows"
    || path.rfind("/entities/", 0) == 0 || path.rfind("/workflows/", 0) == 0;
}

void api_router::handle(const http_request& req, http_responder respond) const {
  auto fail = [&](http_response res) {
    respond(std::move(res));
  };
  std::vector<std::string> parts;
  for (auto& raw : split(req.path.substr(1), '/')) {
    auto part = percent_decode(raw);
    if (!part)
      return fail(
        bad_request(error_text(part.error(), api_->cluster().system())));
    parts.push_back(std::move(*part));
  }
  auto is_get = req.method == "GET" || req.method == "HEAD";
  if (parts.size() == 1) {
    if (!is_get)
      return fail(wrong_method(req.method, "GET, HEAD"));
    auto all = api_->describe();
    return respond(to_response(http_result{200, all[parts[0]], {}}));
  }
  auto& sys = api_->cluster().system();
  auto timeout = timeout_of(req, api_->cluster().config().send_timeout);
  if (!timeout)
    return fail(bad_request(error_text(timeout.error(), sys)));
  // Every call goes through here; decoding errors answer at once.
  auto run = [&](caf::expected<http_call> call) {
    if (!call)
      return fail(to_response(error_result(call.error(), sys)));
    caf::anon_send(
      runner_, queued_call{std::move(*call), [respond](http_result x) mutable {
                             respond(to_response(x));
                           }});
  };
  if (parts[0] == "entities") {
    if (parts.size() != 4 && !(parts.size() == 5 && parts[4] == "discard"))
      return fail(not_found("use /entities/{type}/{id}/{message}"));
    if (req.method != "POST")
      return fail(wrong_method(req.method, "POST"));
    if (!api_->has_entity(parts[1]))
      return fail(
        not_found("entity type '" + parts[1] + "' is not offered over HTTP"));
    auto* msg = api_->find_message(parts[1], parts[3]);
    if (msg == nullptr)
      return fail(not_found("entity type '" + parts[1] + "' has no message '"
                            + parts[3] + "' offered over HTTP"));
    auto body = parse_body(req.body);
    if (!body)
      return fail(bad_request(error_text(body.error(), sys)));
    if (auto& key = req.header("idempotency-key"); !key.empty()) {
      if (msg->key_field.empty())
        return fail(bad_request(msg->name + " takes no Idempotency-Key"));
      if (!body->is_object())
        return fail(bad_request("the body must be a JSON object"));
      auto i = body->find(msg->key_field);
      if (i != body->end() && (!i->is_string() || *i != key))
        return fail(bad_request("the Idempotency-Key header and field '"
                                + msg->key_field + "' differ"));
      (*body)[msg->key_field] = key;
    }
    return run(msg->prepare(*body, parts[2], *timeout, parts.size() == 5));
  }
  // parts[0] == "workflows"
  auto* wf = api_->find_workflow(parts[1]);
  if (wf == nullptr)
    return fail(
      not_found("workflow '" + parts[1] + "' is not offered over HTTP"));
  if (parts.size() == 3
      && (parts[2] == "execute" || parts[2] == "start"
          || parts[2] == "complete")) {
    if (req.method != "POST")
      return fail(wrong_method(req.method, "POST"));
    auto body = parse_body(req.body);
    if (!body)
      return fail(bad_request(error_text(body.error(), sys)));
    if (parts[2] != "complete")
      return run(wf->execute(*body, *timeout, parts[2] == "execute"));
    if (!body->is_object() || !body->contains("token")
        || !(*body)["token"].is_string() || !body->contains("value"))
      return fail(
        bad_request("the body must be {\"token\": STRING, \"value\": VALUE}"));
    return run(wf->complete((*body)["token"].get<std::string>(),
                            (*body)["value"], *timeout));
  }
  if (parts.size() == 4 && parts[2] == "executions") {
    if (!is_get)
      return fail(wrong_method(req.method, "GET, HEAD"));
    return run(wf->poll(parts[3], *timeout));
  }
  if (parts.size() == 5 && parts[2] == "executions"
      && (parts[4] == "interrupt" || parts[4] == "resume")) {
    if (req.method != "POST")
      return fail(wrong_method(req.method, "POST"));
    return run(wf->control(parts[3], *timeout, parts[4] == "resume"));
  }
  return fail(not_found("no such workflow endpoint: " + req.path));
}

} // namespace caf_cluster::gateway
