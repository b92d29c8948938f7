// The gateway's view of the whole cluster: the dashboard page (`GET /`), its
// data (`GET /api/cluster`) and, on a client-only node, readiness (`GET
// /health/ready`), all answered from storage read off the I/O thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "caf_cluster/gateway/http_server.hpp"
#include "caf_cluster/gateway/internal/cached_reader.hpp"
#include "caf_cluster/sharding.hpp"

namespace caf_cluster::gateway::internal {

/// How long a reading of storage serves requests before the next one.
constexpr std::chrono::milliseconds dashboard_max_age{500};

/// The dashboard of one node. The caller checks the bearer token first
/// (`/api/cluster` needs it; the page and `/health/*` do not).
class dashboard {
public:
  /// How the dashboard reads storage; blocks.
  using read_function = std::function<caf::expected<cluster_reading>()>;

  /// Starts the reader thread for `cluster`, whose name is `node`, reading
  /// with `read` (by default the node's own storage drivers, see
  /// `sharding::storage_drivers`; tests pass a failing one).
  dashboard(sharding cluster, std::string node, read_function read = {});

  /// Stops the reader thread.
  ~dashboard();

  /// Answers `req` through `respond` (now or from the reader thread) and
  /// returns true if the request is the dashboard's, else returns false and
  /// leaves `respond` alone.
  bool serve(const http_request& req, const http_responder& respond);

  /// Stops answering from storage; idempotent.
  void stop();

private:
  void answer_cluster(const http_responder& respond);

  void answer_ready(const http_responder& respond);

  sharding cluster_;
  std::string node_;
  cached_reader reader_;
};

} // namespace caf_cluster::gateway::internal
