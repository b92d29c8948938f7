// The gateway's entity and workflow endpoints: parses paths, queries and JSON
// bodies, and runs the decoded calls in one actor of the node, so that no
// HTTP thread waits for a reply.
#pragma once

#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/gateway/http_api.hpp"
#include "caf_cluster/gateway/http_server.hpp"

namespace caf_cluster::gateway {

/// Serves `/entities/...` and `/workflows/...` for an `http_api`:
///
/// | request | answer |
/// | --- | --- |
/// | `GET /entities`, `GET /workflows` | what is offered: types, messages,
/// field names | | `POST /entities/{type}/{id}/{message}` | `{"reply": ...}`
/// once the entity replied | | `POST /entities/{type}/{id}/{message}/discard` |
/// 202 once handed to the cluster | | `POST /workflows/{name}/execute` |
/// `{"execution_id", "status", "result"` or `"error"}` once it ended | | `POST
/// /workflows/{name}/start` | 202 `{"execution_id"}` once the start is stored |
/// | `GET /workflows/{name}/executions/{id}` | `{"execution_id", "status",
/// ...}` | | `POST /workflows/{name}/executions/{id}/interrupt` (or `/resume`)
/// | 202 | | `POST /workflows/{name}/complete` with `{"token", "value"}` | 202
/// once stored |
///
/// Bodies are JSON objects of at most the server's body limit, nested at
/// most 64 deep; `?timeout_ms=N` (1 to 55,000) bounds the wait, else
/// `cluster.send-timeout`. Errors answer `{"error", "code"}` with the
/// statuses of `error_result`, 400 naming the bad field, 404 for what is not
/// offered.
class api_router {
public:
  /// Serves `api` (whose error must be none), running calls in an actor of
  /// `api.cluster()`'s actor system.
  explicit api_router(std::shared_ptr<const http_api> api);

  ~api_router();

  api_router(const api_router&) = delete;

  api_router& operator=(const api_router&) = delete;

  /// Whether `path` is one of this router's.
  static bool owns(const std::string& path);

  /// Answers `req` (a path `owns` accepts) through `respond`.
  void handle(const http_request& req, http_responder respond) const;

private:
  std::shared_ptr<const http_api> api_;
  caf::actor runner_;
};

/// Decodes `%XX` escapes of one path segment; fails on a bad escape or an
/// escaped '\0'.
caf::expected<std::string> percent_decode(const std::string& segment);

/// Returns the deepest nesting of arrays and objects in the JSON text
/// `text` (brackets inside strings do not count).
size_t json_depth(const std::string& text);

} // namespace caf_cluster::gateway
