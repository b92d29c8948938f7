// HTTPS for the gateway: the certificate and key files are checked before a
// node starts, so that a wrong path or a key of another certificate is a
// one-line usage error instead of a gateway that fails at its first client.
#pragma once

#include <string>

#include "caf/error.hpp"

namespace caf_cluster::gateway {

/// Checks that `certificate_file` holds a PEM certificate (chain) and
/// `key_file` its unencrypted PEM private key, as the gateway loads them.
/// @returns `errc::invalid_config` naming the option
/// (`cluster.http-tls-certificate` or `cluster.http-tls-key`), the file and
/// the reason.
caf::error check_http_tls_files(const std::string& certificate_file,
                                const std::string& key_file);

} // namespace caf_cluster::gateway
