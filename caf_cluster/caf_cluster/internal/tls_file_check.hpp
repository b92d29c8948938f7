// The wording of errors about TLS files, shared by the runner transport's
// mutual TLS (cluster.tls.*) and the gateway's HTTPS (cluster.http-tls-*), so
// that both name the option, the file and one reason the same way.
#pragma once

#include <string>

#include "caf/error.hpp"

namespace caf_cluster::internal {

/// OpenSSL's queued errors as text: the newest reason, which is the useful
/// one. Empties the queue.
std::string openssl_reason();

/// An `errc::invalid_config` error "<option> '<path>': <reason>".
caf::error tls_file_error(const std::string& option, const std::string& path,
                          const std::string& reason);

/// Fails with the system's reason ("No such file or directory", "Permission
/// denied"), which says more than OpenSSL's "system lib", when `path` cannot
/// be opened for reading.
caf::error check_readable(const std::string& option, const std::string& path);

} // namespace caf_cluster::internal
