#include "caf_cluster/gateway/runner_gateway.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string_view>
#include <utility>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/gateway/api_router.hpp"
#include "caf_cluster/gateway/http_server.hpp"
#include "caf_cluster/gateway/internal/dashboard.hpp"
#include "caf_cluster/metrics_exposition.hpp"
#include "caf_cluster/prometheus_text.hpp"
#include "caf_cluster/runner_address.hpp"

namespace caf_cluster::gateway {

namespace {

// Compares in time independent of where the strings differ.
bool same_secret(std::string_view x, std::string_view y) noexcept {
  unsigned char diff = x.size() == y.size() ? 0 : 1;
  for (size_t i = 0; i < x.size(); ++i)
    diff |= static_cast<unsigned char>(x[i] ^ (i < y.size() ? y[i] : 0));
  return diff == 0;
}

} // namespace

caf::expected<std::string> read_token_file(const std::string& path) {
  auto key = std::string{"cluster.http-token-file "};
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return caf::make_error(errc::invalid_config,
                           key + "'" + path + "' cannot be read");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    return caf::make_error(errc::invalid_config,
                           key + "'" + path + "' is readable by group or "
                                 "others (mode " + mode + "); chmod 600 it");
  }
  std::ifstream in{path};
  std::string token;
  if (!in || !std::getline(in, token))
    token.clear();
  while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty())
    return caf::make_error(errc::invalid_config,
                           key + "'" + path + "' holds no token on its first "
                                 "line");
  return token;
}

struct runner_gateway::impl {
  explicit impl(sharding handle) : cluster(std::move(handle)) {
  }

  sharding cluster;
  std::string node;
  std::string token; // empty: anonymous
  bool client_only = false;
  std::unique_ptr<api_router> api;
  std::unique_ptr<http_server> server;
  std::unique_ptr<internal::dashboard> board;

  bool authorized(const http_request& req) const {
    // The dashboard page carries no data; its fetches send the token.
    if (token.empty() || req.path.rfind("/health/", 0) == 0 || req.path == "/")
      return true;
    auto& auth = req.header("authorization");
    constexpr std::string_view scheme = "Bearer ";
    return auth.size() > scheme.size()
           && auth.compare(0, scheme.size(), scheme) == 0
           && same_secret(std::string_view{auth}.substr(scheme.size()), token);
  }

  void serve(http_request req, http_responder respond) const {
    if (authorized(req) && api && api_router::owns(req.path)) {
      api->handle(req, std::move(respond));
      return;
    }
    auto head = req.method == "HEAD";
    auto reply = [head, respond](http_response res) {
      if (head)
        res.body.clear();
      respond(std::move(res));
    };
    auto res = handle(req);
    // Past the token check, the dashboard's paths answer from storage.
    if (res.status != 401 && board->serve(req, reply))
      return;
    reply(std::move(res));
  }

  http_response handle(const http_request& req) const {
    if (!authorized(req)) {
      auto res = text_response(401, "a bearer token is required");
      res.headers.emplace_back("WWW-Authenticate",
                               "Bearer realm=\"caf-cluster\"");
      return res;
    }
    if (req.path != "/health/live" && req.path != "/health/ready"
        && req.path != "/metrics")
      return text_response(404, "no such endpoint: " + req.path);
    if (req.method != "GET" && req.method != "HEAD") {
      auto res = text_response(405, req.method + " is not allowed here");
      res.headers.emplace_back("Allow", "GET, HEAD");
      return res;
    }
    if (req.path == "/health/live")
      return text_response(200, "live");
    if (req.path == "/health/ready") {
      if (cluster.is_shutdown())
        return not_ready("shutting down");
      if (!client_only && cluster.metrics().active_shards == 0)
        return not_ready("no shard served yet");
      return text_response(200, "ready");
    }
    http_response res;
    res.content_type = std::string{prometheus_text::content_type};
    res.body = prometheus_exposition(cluster.metrics(), node);
    return res;
  }

  static http_response not_ready(const std::string& why) {
    auto res = text_response(503, "not ready: " + why);
    res.headers.emplace_back("Retry-After", "1");
    return res;
  }
};

runner_gateway::runner_gateway(std::unique_ptr<impl> ptr)
  : impl_(std::move(ptr)) {
}

runner_gateway::~runner_gateway() {
  stop();
}

caf::expected<std::unique_ptr<runner_gateway>>
runner_gateway::start(sharding cluster, const sharding_config& cfg,
                      std::string node_name,
                      std::shared_ptr<const http_api> api) {
  auto addr = parse_runner_address(cfg.http_listen);
  if (!addr)
    return std::move(addr.error());
  if (api && api->error())
    return api->error();
  auto state = std::make_unique<impl>(std::move(cluster));
  if (api)
    state->api = std::make_unique<api_router>(std::move(api));
  state->node = std::move(node_name);
  state->client_only = cfg.client_only;
  if (!cfg.http_token_file.empty()) {
    auto token = read_token_file(cfg.http_token_file);
    if (!token)
      return std::move(token.error());
    state->token = std::move(*token);
  } else {
    state->token = cfg.http_token;
  }
  http_server_options opts;
  opts.host = addr->host;
  opts.port = addr->port;
  opts.tls_certificate_file = cfg.http_tls_certificate;
  opts.tls_key_file = cfg.http_tls_key;
  state->board = std::make_unique<internal::dashboard>(state->cluster,
                                                       state->node);
  auto* raw = state.get();
  auto server = http_server::start(
    opts, [raw](http_request req, http_responder respond) {
      raw->serve(std::move(req), std::move(respond));
    });
  if (!server)
    return std::move(server.error());
  state->server = std::move(*server);
  return std::unique_ptr<runner_gateway>{new runner_gateway(std::move(state))};
}

uint16_t runner_gateway::port() const noexcept {
  return impl_->server ? impl_->server->port() : 0;
}

void runner_gateway::stop() {
  if (impl_ && impl_->server)
    impl_->server->stop();
  if (impl_ && impl_->board)
    impl_->board->stop();
}

} // namespace caf_cluster::gateway
