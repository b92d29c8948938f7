#include "caf_cluster/tls.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/openssl/manager.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/tls_file_check.hpp"

namespace caf_cluster {

namespace internal {

std::string openssl_reason() {
  std::string result;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    result = buf;
  }
  return result.empty() ? std::string{"unknown OpenSSL error"} : result;
}

caf::error tls_file_error(const std::string& option, const std::string& path,
                          const std::string& reason) {
  return caf::make_error(errc::invalid_config,
                         option + " '" + path + "': " + reason);
}

caf::error check_readable(const std::string& option, const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f{std::fopen(path.c_str(), "rb"),
                                          &std::fclose};
  if (!f)
    return tls_file_error(option, path, std::strerror(errno));
  return caf::error{};
}

} // namespace internal

namespace {

using internal::openssl_reason;

caf::error file_error(const char* option, const std::string& path,
                      const std::string& reason) {
  return internal::tls_file_error(std::string{"cluster.tls."} + option, path,
                                  reason);
}

caf::error check_readable(const char* option, const std::string& path) {
  return internal::check_readable(std::string{"cluster.tls."} + option, path);
}

} // namespace

caf::error check_tls_files(const std::string& ca_file,
                           const std::string& cert_file,
                           const std::string& key_file) {
  if (auto err = check_readable("ca-file", ca_file))
    return err;
  if (auto err = check_readable("cert-file", cert_file))
    return err;
  if (auto err = check_readable("key-file", key_file))
    return err;
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx{SSL_CTX_new(TLS_method()),
                                                   &SSL_CTX_free};
  if (!ctx)
    return caf::make_error(errc::invalid_config,
                           "cannot create an OpenSSL context: "
                             + openssl_reason());
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1)
    return file_error("ca-file", ca_file, openssl_reason());
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1)
    return file_error("cert-file", cert_file, openssl_reason());
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM)
      != 1)
    return file_error("key-file", key_file, openssl_reason());
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return file_error("key-file", key_file,
                      "does not match cluster.tls.cert-file: "
                        + openssl_reason());
  return caf::error{};
}

caf::error enable_tls(caf::actor_system_config& cfg,
                      const sharding_config& scfg) {
  if (!scfg.tls_enabled())
    return caf::error{};
  if (auto err = check_tls_files(scfg.tls_ca_file, scfg.tls_cert_file,
                                 scfg.tls_key_file))
    return err;
  cfg.openssl_cafile = scfg.tls_ca_file;
  cfg.openssl_certificate = scfg.tls_cert_file;
  cfg.openssl_key = scfg.tls_key_file;
  cfg.load<caf::openssl::manager>();
  return caf::error{};
}

bool tls_applied(const caf::actor_system& sys, const sharding_config& scfg) {
  if (!scfg.tls_enabled())
    return true;
  const auto& cfg = sys.config();
  return sys.has_openssl_manager() && cfg.openssl_cafile == scfg.tls_ca_file
    && cfg.openssl_certificate == scfg.tls_cert_file
    && cfg.openssl_key == scfg.tls_key_file;
}

} // namespace caf_cluster
