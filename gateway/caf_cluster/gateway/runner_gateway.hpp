// A node's HTTP gateway (`cluster.http-listen`): health endpoints for
// orchestrators, the node's metrics in Prometheus' format and the cluster
// dashboard, behind a bearer token.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "caf/expected.hpp"

#include "caf_cluster/sharding.hpp"
#include "caf_cluster/sharding_config.hpp"

namespace caf_cluster::gateway {

class http_api;

/// The gateway of one node. Endpoints:
///
/// | request | answer |
/// | --- | --- |
/// | `GET /health/live` | 200 while the process serves HTTP (no token needed) |
/// | `GET /health/ready` | 200 once the node can do its work: a runner serves at least one shard, a client-only node sees a live runner in runner storage; 503 with `Retry-After` before, while storage cannot be read, and after shutdown began (no token needed) |
/// | `GET /metrics` | the node's metrics (see `prometheus_exposition`), labelled with `runner` |
/// | `/entities/...`, `/workflows/...` | the entities and workflows of the node's `http_api` (see `api_router`) |
/// | `GET /api/cluster` | the cluster as this node sees it, as JSON: runners, shard map, entity counts, backlog, singletons, crons (README, "Dashboard"); 503 with `Retry-After` while storage cannot be read |
/// | `GET /` | the dashboard page, which polls `/api/cluster` with the token of its URL fragment (no token needed) |
///
/// Storage is read on a thread of the gateway and cached for 500 ms, never
/// on the I/O thread. Everything but `/health/*` and `/` needs
/// `Authorization: Bearer <token>` (401 without, with `WWW-Authenticate`)
/// unless `cluster.http-anonymous` is set; unknown paths answer 404, other
/// methods 405.
class runner_gateway {
public:
  /// Starts the gateway `cfg` configures (`cfg.http_listen` must be set and
  /// `cfg` valid) for `cluster`, labelling metrics with `node_name` (the
  /// runner address, or a client's name), and serving the entities and
  /// workflows `api` offers (see `api_router`; none when null). Fails with
  /// `api`'s declaration error, with `errc::invalid_config`
  /// for an unreadable, empty or group/other-readable token file and with
  /// `errc::runner_unavailable` when the address is in use.
  static caf::expected<std::unique_ptr<runner_gateway>>
  start(sharding cluster, const sharding_config& cfg, std::string node_name,
        std::shared_ptr<const http_api> api = nullptr);

  ~runner_gateway();

  /// The bound port.
  uint16_t port() const noexcept;

  /// Stops serving; idempotent.
  void stop();

  struct impl;

private:
  explicit runner_gateway(std::unique_ptr<impl> ptr);

  std::unique_ptr<impl> impl_;
};

/// Reads the bearer token of `path`: its first line, which must not be
/// empty, from a file neither group nor others may read.
caf::expected<std::string> read_token_file(const std::string& path);

} // namespace caf_cluster::gateway
