#include "caf_cluster/gateway/http_api.hpp"

#include <algorithm>

#include "caf/actor_system.hpp"
#include "caf/sec.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster::gateway {

namespace {

unsigned status_of(const caf::error& err) {
  if (err.category() == caf::atom("system")) {
    auto code = static_cast<caf::sec>(err.code());
    if (code == caf::sec::request_timeout)
      return 504;
    return 500;
  }
  if (err.category() != errc_category)
    return 422;
  switch (static_cast<errc>(err.code())) {
    case errc::invalid_argument:
    case errc::message_too_large:
    case errc::malformed_message:
      return 400;
    case errc::unknown_entity_type:
      return 404;
    case errc::entity_not_assigned_to_runner:
    case errc::runner_not_registered:
    case errc::runner_unavailable:
    case errc::mailbox_full:
    case errc::already_processing_message:
    case errc::shutting_down:
    case errc::persistence_error:
      return 503;
    case errc::timeout:
      return 504;
    case errc::workflow_interrupted:
      return 409;
    default:
      return 500;
  }
}

std::string code_name(const caf::error& err) {
  if (err.category() == errc_category)
    return to_string(static_cast<errc>(err.code()));
  if (err.category() == caf::atom("system"))
    return to_string(static_cast<caf::sec>(err.code()));
  return to_string(err.category()) + ":" + std::to_string(err.code());
}

} // namespace

std::string error_text(const caf::error& err, const caf::actor_system& sys) {
  auto& ctx = err.context();
  if (err.category() != errc_category || ctx.empty())
    return sys.render(err);
  std::string text;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!ctx.match_element<std::string>(i))
      return sys.render(err);
    text += (i == 0 ? "" : ": ") + ctx.get_as<std::string>(i);
  }
  return text;
}

http_result error_result(const caf::error& err, const caf::actor_system& sys) {
  http_result result;
  result.status = status_of(err);
  result.body = nlohmann::json{{"error", error_text(err, sys)},
                               {"code", code_name(err)}};
  if (result.status == 503)
    result.headers.emplace_back("Retry-After", "1");
  return result;
}

void http_api::add_message(const std::string& type, http_message msg) {
  auto& messages = entities_[type];
  for (auto& x : messages)
    if (x.name == msg.name || x.short_name == msg.short_name) {
      fail(caf::make_error(errc::invalid_config,
                           "gateway: " + type + " declares " + msg.name
                             + " twice (or two messages named " + msg.short_name
                             + ")"));
      return;
    }
  messages.push_back(std::move(msg));
}

void http_api::set_key_field(const std::string& type, std::string field) {
  auto i = entities_.find(type);
  if (i == entities_.end() || i->second.empty()) {
    fail(caf::make_error(errc::invalid_config,
                         "gateway: idempotency_key before any message of "
                           + type));
    return;
  }
  auto& msg = i->second.back();
  if (std::find(msg.fields.begin(), msg.fields.end(), field)
      == msg.fields.end()) {
    fail(caf::make_error(errc::invalid_config,
                         "gateway: " + msg.name + " has no field '" + field
                           + "' for the Idempotency-Key"));
    return;
  }
  if (!msg.persisted) {
    fail(caf::make_error(errc::invalid_config,
                         "gateway: " + msg.name + " of " + type
                           + " is not persisted, so an Idempotency-Key "
                             "would not deduplicate it"));
    return;
  }
  msg.key_field = std::move(field);
}

void http_api::add_workflow(http_workflow wf) {
  auto name = wf.name;
  if (!workflows_.emplace(name, std::move(wf)).second)
    fail(caf::make_error(errc::invalid_config,
                         "gateway: workflow " + name + " is added twice"));
}

void http_api::fail(caf::error err) {
  if (!error_)
    error_ = std::move(err);
}

const http_message* http_api::find_message(const std::string& type,
                                           const std::string& name) const {
  auto i = entities_.find(type);
  if (i == entities_.end())
    return nullptr;
  for (auto& x : i->second)
    if (x.name == name || x.short_name == name)
      return &x;
  return nullptr;
}

bool http_api::has_entity(const std::string& type) const {
  return entities_.count(type) > 0;
}

const http_workflow* http_api::find_workflow(const std::string& name) const {
  auto i = workflows_.find(name);
  return i == workflows_.end() ? nullptr : &i->second;
}

nlohmann::json http_api::describe() const {
  auto entities = nlohmann::json::object();
  for (auto& [type, messages] : entities_) {
    auto list = nlohmann::json::array();
    for (auto& m : messages) {
      nlohmann::json x{{"name", m.name},
                       {"short_name", m.short_name},
                       {"fields", m.fields},
                       {"persisted", m.persisted}};
      if (!m.key_field.empty())
        x["idempotency_key"] = m.key_field;
      list.push_back(std::move(x));
    }
    entities[type] = std::move(list);
  }
  auto workflows = nlohmann::json::object();
  for (auto& [name, wf] : workflows_)
    workflows[name] = nlohmann::json{{"fields", wf.fields},
                                     {"deferreds", wf.deferreds}};
  return nlohmann::json{{"entities", std::move(entities)},
                        {"workflows", std::move(workflows)}};
}

} // namespace caf_cluster::gateway
