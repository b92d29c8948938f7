// The gateway's HTTP server on loopback, driven by a raw socket client so
// that malformed and oversized requests can be sent as bytes: keep-alive,
// each limit answered with its status and the connection closed, late and
// dropped responders, the response timeout, the connection cap, bind errors
// and a stop with requests in flight.
#include "caf_cluster/gateway/http_server.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "caf_cluster/errc.hpp"
#include "unit/raw_http_client.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster::gateway;
using caf_cluster::test::raw_client;

namespace {

std::string get(const std::string& path, bool close = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n"
         + (close ? "Connection: close\r\n" : "") + "\r\n";
}

// A server answering every request with its method, path, query and body.
std::unique_ptr<http_server> echo_server(http_server_options opts = {}) {
  auto server = http_server::start(opts, [](http_request req,
                                            http_responder respond) {
    respond(text_response(200, req.method + " " + req.path + " ?" + req.query
                                 + " body=" + req.body + " x-test="
                                 + req.header("x-test")));
  });
  REQUIRE(server);
  return std::move(*server);
}

} // namespace

TEST_SUITE("unit.http_server") {

  TEST_CASE("two requests on one keep-alive connection, headers by lower-case "
            "name") {
    auto server = echo_server();
    raw_client c{server->port()};
    REQUIRE(c.connected());
    c.send("POST /a/b?x=1 HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n"
           "Content-Length: 5\r\n\r\nhello");
    auto first = c.response();
    CHECK(first.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(first.find("POST /a/b ?x=1 body=hello x-test=yes\n")
          != std::string::npos);
    c.send(get("/second", true));
    auto second = c.response();
    CHECK(second.find("GET /second ? body= x-test=\n") != std::string::npos);
    CHECK(c.closed_by_peer());
  }

  TEST_CASE("a body over the limit is answered 413 and the connection "
            "closed") {
    http_server_options opts;
    opts.max_body_bytes = 10;
    auto server = echo_server(opts);
    raw_client c{server->port()};
    c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"
           "01234567890");
    auto res = c.response();
    CHECK(res.rfind("HTTP/1.1 413 ", 0) == 0);
    CHECK(res.find("larger than 10 bytes") != std::string::npos);
    CHECK(c.closed_by_peer());
  }

  TEST_CASE("a header section over the limit is answered 431") {
    http_server_options opts;
    opts.max_header_bytes = 256;
    auto server = echo_server(opts);
    raw_client c{server->port()};
    c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1000, 'a')
           + "\r\n\r\n");
    auto res = c.response();
    CHECK(res.rfind("HTTP/1.1 431 ", 0) == 0);
    CHECK(c.closed_by_peer());
  }

  TEST_CASE("bytes that are not HTTP are answered 400 and never crash") {
    auto server = echo_server();
    for (std::string junk :
         {std::string{"hello\r\n\r\n"}, std::string{"GET / HTTP/9.9\r\n\r\n"},
          std::string{"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"},
          std::string{"GET / HTTP/1.1\r\nBad Header\r\n\r\n"},
          std::string("\0\xff\r\n\r\n", 6)}) {
      raw_client c{server->port()};
      c.send(junk);
      auto res = c.response();
      CHECK_MESSAGE(res.rfind("HTTP/1.1 400 ", 0) == 0, junk);
      CHECK(c.closed_by_peer());
    }
    // Still serving.
    raw_client c{server->port()};
    c.send(get("/ok", true));
    CHECK(c.response().rfind("HTTP/1.1 200 ", 0) == 0);
  }

  TEST_CASE("a responder called later from another thread answers; a "
            "dropped one answers 500") {
    std::mutex mx;
    std::vector<http_responder> held;
    auto server = http_server::start({}, [&](http_request req,
                                             http_responder respond) {
      if (req.path == "/drop")
        return; // the responder goes out of scope unanswered
      std::lock_guard<std::mutex> guard{mx};
      held.push_back(std::move(respond));
    });
    REQUIRE(server);
    raw_client late{(*server)->port()};
    late.send(get("/late"));
    std::thread answer{[&] {
      for (int i = 0; i < 500; ++i) {
        {
          std::lock_guard<std::mutex> guard{mx};
          if (!held.empty()) {
            held.front()(text_response(202, "later"));
            return;
          }
        }
        std::this_thread::sleep_for(10ms);
      }
    }};
    auto res = late.response();
    answer.join();
    CHECK(res.rfind("HTTP/1.1 202 ", 0) == 0);
    raw_client dropped{(*server)->port()};
    dropped.send(get("/drop"));
    CHECK(dropped.response().rfind("HTTP/1.1 500 ", 0) == 0);
  }

  TEST_CASE("a handler that never responds gets 504 after the response "
            "timeout") {
    std::vector<http_responder> held;
    http_server_options opts;
    opts.response_timeout = 200ms;
    auto server = http_server::start(opts, [&](http_request,
                                               http_responder respond) {
      held.push_back(std::move(respond)); // on the I/O thread only
    });
    REQUIRE(server);
    raw_client c{(*server)->port()};
    c.send(get("/slow"));
    CHECK(c.response().rfind("HTTP/1.1 504 ", 0) == 0);
    (*server)->stop();
    // A responder called after the stop does nothing.
    held.front()(text_response(200, "too late"));
  }

  TEST_CASE("connections beyond the cap are closed at once") {
    http_server_options opts;
    opts.max_connections = 1;
    auto server = echo_server(opts);
    raw_client first{server->port()};
    first.send(get("/one"));
    CHECK(first.response().rfind("HTTP/1.1 200 ", 0) == 0);
    raw_client second{server->port()};
    second.send(get("/two"));
    CHECK(second.closed_by_peer());
    CHECK(server->connections() == 1);
  }

  TEST_CASE("bind errors name the address; stop with open connections "
            "returns") {
    auto server = echo_server();
    http_server_options same;
    same.port = server->port();
    auto clash = http_server::start(same, [](http_request, http_responder) {});
    REQUIRE(!clash);
    CHECK(clash.error() == caf_cluster::errc::runner_unavailable);
    http_server_options bad;
    bad.host = "not-an-ip";
    auto invalid = http_server::start(bad, [](http_request, http_responder) {});
    REQUIRE(!invalid);
    CHECK(invalid.error() == caf_cluster::errc::invalid_config);
    raw_client idle{server->port()};
    REQUIRE(idle.connected());
    server->stop();
    server->stop();
    CHECK(idle.closed_by_peer());
  }
}
