#include "caf_cluster/gateway/http_tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/gateway/internal/tls_context.hpp"
#include "caf_cluster/internal/tls_file_check.hpp"

namespace caf_cluster::gateway {

namespace {

constexpr const char* certificate_option = "cluster.http-tls-certificate";

constexpr const char* key_option = "cluster.http-tls-key";

using caf_cluster::internal::check_readable;
using caf_cluster::internal::openssl_reason;
using caf_cluster::internal::tls_file_error;

// Without it OpenSSL would prompt on the terminal for the passphrase of an
// encrypted key and block the node's start.
int refuse_passphrase(char*, int, int, void*) {
  return 0;
}

} // namespace

namespace internal {

caf::expected<std::unique_ptr<boost::asio::ssl::context>>
make_tls_context(const std::string& certificate_file,
                 const std::string& key_file) {
  namespace ssl = boost::asio::ssl;
  if (auto err = check_readable(certificate_option, certificate_file))
    return err;
  if (auto err = check_readable(key_option, key_file))
    return err;
  ERR_clear_error();
  boost::system::error_code ec;
  std::unique_ptr<ssl::context> ctx;
  try {
    ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const boost::system::system_error& e) {
    return caf::make_error(errc::invalid_config,
                           std::string{"cannot create an OpenSSL context: "}
                             + e.what());
  }
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                     | ssl::context::no_sslv3 | ssl::context::no_tlsv1
                     | ssl::context::no_tlsv1_1,
                   ec);
  auto* native = ctx->native_handle();
  SSL_CTX_set_default_passwd_cb(native, &refuse_passphrase);
  if (SSL_CTX_use_certificate_chain_file(native, certificate_file.c_str())
      != 1)
    return tls_file_error(certificate_option, certificate_file,
                          "not a PEM certificate: " + openssl_reason());
  // Parsed apart from its use, so that a key of another certificate is told
  // from a file that is no key at all.
  std::unique_ptr<BIO, int (*)(BIO*)> bio{BIO_new_file(key_file.c_str(), "r"),
                                          &BIO_free};
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key{
    bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &refuse_passphrase,
                                  nullptr)
        : nullptr,
    &EVP_PKEY_free};
  if (!key)
    return tls_file_error(key_option, key_file,
                          "not an unencrypted PEM private key: "
                            + openssl_reason());
  if (SSL_CTX_use_PrivateKey(native, key.get()) != 1
      || SSL_CTX_check_private_key(native) != 1)
    return tls_file_error(key_option, key_file,
                          "does not match " + std::string{certificate_option}
                            + " '" + certificate_file + "': "
                            + openssl_reason());
  return ctx;
}

} // namespace internal

caf::error check_http_tls_files(const std::string& certificate_file,
                                const std::string& key_file) {
  auto ctx = internal::make_tls_context(certificate_file, key_file);
  if (!ctx)
    return std::move(ctx.error());
  return caf::error{};
}

} // namespace caf_cluster::gateway
