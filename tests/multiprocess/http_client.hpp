// HTTP requests of the gateway tests, made with curl as an operator would:
// the status, the header section and the body of one exchange.
#pragma once

#include <string>

namespace caf_cluster::multiprocess {

/// One HTTP exchange as curl saw it; status 0 when there was no answer.
struct http_reply {
  /// The status code.
  int status = 0;
  /// The header section, status line included.
  std::string headers;
  /// The body.
  std::string body;
};

/// GETs (or sends `method` to) `url` with curl, at most 5 s; `bearer` empty:
/// no Authorization header.
http_reply fetch(const std::string& url, const std::string& bearer = "",
                 const std::string& method = "GET");

} // namespace caf_cluster::multiprocess
