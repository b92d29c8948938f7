#include "caf_cluster/gateway/internal/dashboard.hpp"

#include <chrono>
#include <utility>

#include "caf/actor_system.hpp"

#include "caf_cluster/cron/cluster_cron.hpp"
#include "caf_cluster/gateway/internal/cluster_view.hpp"
#include "caf_cluster/gateway/internal/dashboard_page.hpp"

namespace caf_cluster::gateway::internal {

namespace {

int64_t to_ms(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
}

// 503 with Retry-After: probes and the page try again in a second.
http_response unavailable(const std::string& why, bool as_json) {
  http_response res;
  if (as_json) {
    res.status = 503;
    res.content_type = "application/json";
    res.body = nlohmann::json{{"error", why}, {"retry_after_s", 1}}.dump();
  } else {
    res = text_response(503, "not ready: " + why);
  }
  res.headers.emplace_back("Retry-After", "1");
  return res;
}

} // namespace

dashboard::dashboard(sharding cluster, std::string node, read_function read)
  : cluster_(cluster),
    node_(std::move(node)),
    reader_(read ? std::move(read)
                 : [cluster] {
                     return read_cluster(cluster.storage_drivers(),
                                         cluster.clock()->now_ms());
                   },
            dashboard_max_age) {
}

dashboard::~dashboard() {
  stop();
}

void dashboard::stop() {
  reader_.stop();
}

bool dashboard::serve(const http_request& req, const http_responder& respond) {
  auto ready = req.path == "/health/ready" && cluster_.config().client_only
    && !cluster_.is_shutdown();
  if (req.path != "/" && req.path != "/api/cluster" && !ready)
    return false;
  if (req.method != "GET" && req.method != "HEAD") {
    auto res = text_response(405, req.method + " is not allowed here");
    res.headers.emplace_back("Allow", "GET, HEAD");
    respond(std::move(res));
    return true;
  }
  if (req.path == "/") {
    http_response res;
    res.content_type = "text/html; charset=utf-8";
    res.headers.emplace_back("Cache-Control", "no-store");
    // The page runs only its own inline script and fetches only this origin.
    res.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; script-src 'unsafe-inline'; "
                             "style-src 'unsafe-inline'; connect-src 'self'; "
                             "img-src data:");
    res.body = std::string{dashboard_page()};
    respond(std::move(res));
  } else if (ready) {
    answer_ready(respond);
  } else {
    answer_cluster(respond);
  }
  return true;
}

void dashboard::answer_cluster(const http_responder& respond) {
  reader_.get([this, respond](cached_reader::result_ptr result) {
    if (!*result) {
      respond(unavailable("cannot read cluster storage: "
                            + cluster_.system().render(result->error()),
                          true));
      return;
    }
    const auto& cfg = cluster_.config();
    cluster_view_input in;
    in.node = node_;
    in.client_only = cfg.client_only;
    in.groups = cfg.shard_groups;
    in.shards_per_group = cfg.shards_per_group;
    in.lease_ms = to_ms(cfg.lease_duration);
    in.max_skew_ms = to_ms(cfg.max_clock_skew);
    in.metrics = cluster_.metrics();
    for (auto& name : cluster_.singleton_names())
      if (auto shard = cluster_.shard_id(name, cfg.shard_groups.front()))
        in.singletons.push_back({std::move(name), std::move(*shard)});
    in.cron_prefix = cron::cron_entity_type("");
    http_response res;
    res.content_type = "application/json";
    res.headers.emplace_back("Cache-Control", "no-store");
    res.body = cluster_view(**result, in).dump();
    respond(std::move(res));
  });
}

void dashboard::answer_ready(const http_responder& respond) {
  reader_.get([this, respond](cached_reader::result_ptr result) {
    if (!*result) {
      respond(unavailable("cannot read runner storage: "
                            + cluster_.system().render(result->error()),
                          false));
      return;
    }
    auto lease_ms = to_ms(cluster_.config().lease_duration);
    auto skew_ms = to_ms(cluster_.config().max_clock_skew);
    for (const auto& row : (*result)->runners)
      if (storage::is_live(row, (*result)->read_at_ms, lease_ms, skew_ms)) {
        respond(text_response(200, "ready"));
        return;
      }
    respond(unavailable("no live runner in runner storage", false));
  });
}

} // namespace caf_cluster::gateway::internal
