// The server-side OpenSSL context of the gateway, shared by the file check
// and the server so that both load the files the same way.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "caf/expected.hpp"

namespace caf_cluster::gateway::internal {

/// A TLS server context presenting `certificate_file` with `key_file`
/// (TLS 1.2 or newer, no client certificates).
/// @returns `errc::invalid_config` naming the option, file and reason.
caf::expected<std::unique_ptr<boost::asio::ssl::context>>
make_tls_context(const std::string& certificate_file,
                 const std::string& key_file);

} // namespace caf_cluster::gateway::internal
