// Mutual TLS for the socket transport, through CAF's OpenSSL module: every
// connection of a runner or client is a TLS session that presents this
// node's certificate and requires the peer's, signed by the cluster's CA.
// CAF reads the files anew for each connection and throws when it cannot,
// so they are checked once here, before the actor system starts.
#pragma once

#include <string>

#include "caf/error.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/sharding_config.hpp"

namespace caf_cluster {

/// Checks that `ca_file`, `cert_file` and `key_file` are readable PEM files,
/// that the certificate matches the key, and that the CA loads.
/// @returns `errc::invalid_config` naming the file and OpenSSL's reason.
caf::error check_tls_files(const std::string& ca_file,
                           const std::string& cert_file,
                           const std::string& key_file);

/// Turns on mutual TLS in `cfg` when `scfg` names TLS files (does nothing
/// otherwise): checks the files, hands them to CAF's OpenSSL settings and
/// loads CAF's OpenSSL module. Call after parsing the configuration and
/// `enable_socket_transport`, before the actor system starts.
/// @returns `errc::invalid_config` naming an unusable file.
caf::error enable_tls(caf::actor_system_config& cfg,
                      const sharding_config& scfg);

/// Returns whether `sys` runs with the TLS settings of `scfg` (always true
/// when `scfg` has none).
bool tls_applied(const caf::actor_system& sys, const sharding_config& scfg);

} // namespace caf_cluster
