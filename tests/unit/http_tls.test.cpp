// The gateway's HTTP server with TLS, on loopback, with certificates from
// scripts/make-test-ca.sh: answered over HTTPS by an Asio client that checks
// the certificate, with the same limits as plain HTTP; plain HTTP and silent
// clients are closed without an answer; unusable files fail start() with a
// line naming the option.
#include "caf_cluster/gateway/http_server.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/gateway/http_tls.hpp"
#include "unit/raw_http_client.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster::gateway;
using caf_cluster::test::raw_client;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;

namespace {

// The test CA and certificates, made once per process in a fresh directory
// and removed at exit.
struct test_ca {
  std::filesystem::path dir;
  bool made = false;

  test_ca() {
    char tmpl[] = "/tmp/caf-cluster-http-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      return;
    dir = tmpl;
    auto cmd = std::string{"bash '"} + CAF_CLUSTER_MAKE_TEST_CA + "' '"
               + dir.string() + "' >/dev/null 2>&1";
    made = std::system(cmd.c_str()) == 0;
  }

  ~test_ca() {
    std::error_code ec;
    if (!dir.empty())
      std::filesystem::remove_all(dir, ec);
  }

  std::string file(const char* name) const {
    return (dir / name).string();
  }
};

const test_ca& ca() {
  static test_ca instance;
  REQUIRE(instance.made);
  return instance;
}

struct https_reply {
  // 0 when the request failed before a response.
  unsigned status = 0;
  std::string body;
  // Why the exchange failed, if it did.
  std::string error;
};

// Sends each of `requests` over one TLS connection trusting `ca_file` and
// checking the name 127.0.0.1; reads one response per request. Everything
// happens within 5 s.
std::vector<https_reply> https_exchange(uint16_t port,
                                        const std::string& ca_file,
                                        std::vector<std::string> requests) {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
  beast::get_lowest_layer(stream).expires_after(5s);
  std::vector<https_reply> replies;
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  size_t next = 0;
  auto fail = [&](const char* what, boost::system::error_code ec) {
    https_reply reply;
    reply.error = std::string{what} + ": " + ec.message();
    replies.push_back(std::move(reply));
  };
  std::function<void()> send_next = [&] {
    if (next == requests.size())
      return;
    asio::async_write(stream, asio::buffer(requests[next]),
                      [&](boost::system::error_code ec, size_t) {
                        if (ec)
                          return fail("write", ec);
                        res = {};
                        http::async_read(
                          stream, buffer, res,
                          [&](boost::system::error_code ec, size_t) {
                            if (ec)
                              return fail("read", ec);
                            replies.push_back({res.result_int(), res.body(),
                                               {}});
                            ++next;
                            send_next();
                          });
                      });
  };
  asio::ip::tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), port};
  beast::get_lowest_layer(stream).async_connect(
    endpoint, [&](boost::system::error_code ec) {
      if (ec)
        return fail("connect", ec);
      stream.async_handshake(ssl::stream_base::client,
                             [&](boost::system::error_code ec) {
                               if (ec)
                                 return fail("handshake", ec);
                               send_next();
                             });
    });
  ioc.run();
  return replies;
}

std::string get(const std::string& path, bool close = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         + (close ? "Connection: close\r\n" : "") + "\r\n";
}

http_server_options tls_options() {
  http_server_options opts;
  opts.tls_certificate_file = ca().file("runner.pem");
  opts.tls_key_file = ca().file("runner.key");
  return opts;
}

std::unique_ptr<http_server> echo_server(http_server_options opts) {
  auto server = http_server::start(opts, [](http_request req,
                                            http_responder respond) {
    respond(text_response(200, req.method + " " + req.path));
  });
  REQUIRE(server);
  return std::move(*server);
}

// Waits up to 5 s for the server to count no open connection.
bool drained(const http_server& server) {
  for (int i = 0; i < 500 && server.connections() != 0; ++i)
    std::this_thread::sleep_for(10ms);
  return server.connections() == 0;
}

std::string start_error(http_server_options opts) {
  auto server = http_server::start(opts, [](http_request, http_responder) {});
  REQUIRE(!server);
  CHECK_EQ(server.error().code(),
           static_cast<uint8_t>(caf_cluster::errc::invalid_config));
  auto err = check_http_tls_files(opts.tls_certificate_file,
                                  opts.tls_key_file);
  CHECK_EQ(err, server.error());
  const auto& ctx = server.error().context();
  REQUIRE(ctx.match_element<std::string>(0));
  return ctx.get_as<std::string>(0);
}

} // namespace

TEST_SUITE("unit.http_tls") {

  TEST_CASE("an HTTPS server answers requests on one keep-alive "
            "connection, the certificate checked by the client") {
    auto server = echo_server(tls_options());
    CHECK(server->tls());
    auto replies = https_exchange(server->port(), ca().file("ca.pem"),
                                  {get("/one"), get("/two", true)});
    REQUIRE_EQ(replies.size(), 2u);
    CHECK_EQ(replies[0].error, "");
    CHECK_EQ(replies[0].status, 200u);
    CHECK_EQ(replies[0].body, "GET /one\n");
    CHECK_EQ(replies[1].status, 200u);
    CHECK_EQ(replies[1].body, "GET /two\n");
    CHECK(drained(*server));
  }

  TEST_CASE("a client trusting another CA fails its handshake") {
    auto server = echo_server(tls_options());
    auto replies = https_exchange(server->port(), ca().file("other-ca.pem"),
                                  {get("/")});
    REQUIRE_EQ(replies.size(), 1u);
    CHECK_EQ(replies[0].status, 0u);
    CHECK(replies[0].error.rfind("handshake: ", 0) == 0);
    CHECK(drained(*server));
  }

  TEST_CASE("the limits hold over TLS: a header section over the limit is "
            "answered 431") {
    auto opts = tls_options();
    opts.max_header_bytes = 256;
    auto server = echo_server(opts);
    auto replies = https_exchange(
      server->port(), ca().file("ca.pem"),
      {"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1000, 'a')
         + "\r\n\r\n"});
    REQUIRE_EQ(replies.size(), 1u);
    CHECK_EQ(replies[0].status, 431u);
    CHECK(drained(*server));
  }

  TEST_CASE("plain HTTP and junk to the TLS port are closed without an "
            "answer, and the server keeps serving") {
    auto server = echo_server(tls_options());
    for (std::string junk :
         {get("/", true), std::string{"hello\r\n\r\n"},
          std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10),
          std::string(3000, '\x16')}) {
      raw_client c{server->port()};
      REQUIRE(c.connected());
      c.send(junk);
      auto rest = c.rest();
      CHECK_MESSAGE(rest.find("HTTP/1.1") == std::string::npos, junk);
      CHECK(c.closed_by_peer());
    }
    auto replies = https_exchange(server->port(), ca().file("ca.pem"),
                                  {get("/after", true)});
    REQUIRE_EQ(replies.size(), 1u);
    CHECK_EQ(replies[0].status, 200u);
    CHECK(drained(*server));
  }

  TEST_CASE("a client that never completes its handshake is closed after "
            "the handshake timeout") {
    auto opts = tls_options();
    opts.handshake_timeout = 200ms;
    auto server = echo_server(opts);
    raw_client c{server->port()};
    REQUIRE(c.connected());
    auto start = std::chrono::steady_clock::now();
    CHECK(c.closed_by_peer());
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(drained(*server));
  }

  TEST_CASE("unusable TLS files fail start with a line naming the option") {
    auto opts = tls_options();
    auto missing = ca().file("missing.pem");
    opts.tls_certificate_file = missing;
    CHECK_EQ(start_error(opts), "cluster.http-tls-certificate '" + missing
                                  + "': No such file or directory");
    opts = tls_options();
    opts.tls_key_file = "";
    CHECK_EQ(start_error(opts),
             "cluster.http-tls-key '': No such file or directory");
    auto junk = ca().file("junk.pem");
    std::ofstream{junk} << "not a certificate\n";
    opts = tls_options();
    opts.tls_certificate_file = junk;
    CHECK(start_error(opts).rfind("cluster.http-tls-certificate '" + junk
                                    + "': not a PEM certificate: ",
                                  0)
          == 0);
    opts = tls_options();
    opts.tls_key_file = ca().file("runner.pem");
    CHECK(start_error(opts).rfind("cluster.http-tls-key '"
                                    + ca().file("runner.pem")
                                    + "': not an unencrypted PEM private key",
                                  0)
          == 0);
    opts = tls_options();
    opts.tls_key_file = ca().file("other.key");
    CHECK(start_error(opts).rfind("cluster.http-tls-key '"
                                    + ca().file("other.key")
                                    + "': does not match "
                                      "cluster.http-tls-certificate '"
                                    + ca().file("runner.pem") + "': ",
                                  0)
          == 0);
    if (::geteuid() != 0) {
      auto locked = ca().file("locked.key");
      std::filesystem::copy_file(ca().file("runner.key"), locked);
      ::chmod(locked.c_str(), 0);
      opts = tls_options();
      opts.tls_key_file = locked;
      CHECK_EQ(start_error(opts),
               "cluster.http-tls-key '" + locked + "': Permission denied");
    }
    CHECK_EQ(check_http_tls_files(ca().file("runner.pem"),
                                  ca().file("runner.key")),
             caf::error{});
  }
}
