// HTTP requests from the multi-process tests, made with curl (a real client,
// not our own code).
#pragma once

#include <string>
#include <vector>

namespace caf_cluster::multiprocess {

/// What came back: status 0 when curl got no response.
struct http_answer {
  int status = 0;
  /// The header section as received.
  std::string headers;
  std::string body;

  /// Whether the headers contain `text` (e.g. "Retry-After: 1").
  bool has_header(const std::string& text) const {
    return headers.find(text) != std::string::npos;
  }
};

/// Sends `method url` with `body` (none when empty; a file's worth of bytes
/// goes through a temporary file), the extra `headers` ("Name: value") and,
/// unless `bearer` is empty, `Authorization: Bearer <bearer>`. Bounded: curl
/// gives up after `max_seconds`.
http_answer http_request(const std::string& method, const std::string& url,
                         const std::string& body = {},
                         const std::string& bearer = {},
                         std::vector<std::string> headers = {},
                         int max_seconds = 10);

/// The gateway and dashboard tests' name for an exchange.
using http_reply = http_answer;

/// GETs (or sends `method` to) `url` without a body, at most 5 s; `bearer`
/// empty: no Authorization header.
inline http_reply fetch(const std::string& url, const std::string& bearer = "",
                        const std::string& method = "GET") {
  return http_request(method, url, {}, bearer, {}, 5);
}

} // namespace caf_cluster::multiprocess
