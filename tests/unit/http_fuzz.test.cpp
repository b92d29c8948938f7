// A bounded, seeded fuzz test of the gateway's HTTP server: thousands of
// requests, valid ones mutated byte by byte, header sections and bodies
// around the limits, bogus chunked encodings, pipelines, half-closed and
// cut-off connections. Whatever arrives, the server answers with well-formed
// responses of known statuses or closes, never crashes (this runs under ASan
// and UBSan in CI), and ends with no connection left open.
// CAF_CLUSTER_FUZZ_SEED=<n> replays one seed; a failure prints its seed.
#include "caf_cluster/gateway/http_server.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "unit/raw_http_client.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster::gateway;
using caf_cluster::test::raw_client;

namespace {

constexpr size_t header_limit = 1024;

constexpr size_t body_limit = 2048;

// Cases per seed; four seeds make the run's few thousand.
constexpr int cases_per_seed = 800;

// The seeds of a run: the fixed list, or the one the environment names.
std::vector<uint64_t> seeds() {
  if (auto env = std::getenv("CAF_CLUSTER_FUZZ_SEED"); env && *env)
    return {std::strtoull(env, nullptr, 10)};
  return {1, 2, 3, 0x5eed'cafe'f00d};
}

// Routes like a small gateway, so that mutations reach every status the
// handler can give.
void route(http_request req, http_responder respond) {
  if (req.path == "/ok") {
    if (req.method != "GET" && req.method != "HEAD")
      return respond(text_response(405, "method not allowed"));
    auto res = text_response(200, "ok");
    if (req.method == "HEAD")
      res.body.clear();
    return respond(std::move(res));
  }
  if (req.path == "/echo") {
    if (req.method != "POST")
      return respond(text_response(405, "method not allowed"));
    return respond(text_response(200, req.body));
  }
  respond(text_response(404, "not found"));
}

class generator {
public:
  explicit generator(uint64_t seed) : rng_(seed) {
  }

  size_t below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>{0, n - 1}(rng_);
  }

  bool chance(int percent) {
    return below(100) < static_cast<size_t>(percent);
  }

  std::string bytes(size_t n) {
    std::string result(n, '\0');
    for (auto& c : result)
      c = static_cast<char>(below(256));
    return result;
  }

  std::string token(size_t n) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz-0123456789";
    std::string result(n, 'a');
    for (auto& c : result)
      c = alphabet[below(sizeof(alphabet) - 1)];
    return result;
  }

  // A valid request of one of the shapes the server knows.
  std::string valid_request() {
    auto close = chance(20) ? "Connection: close\r\n" : "";
    switch (below(6)) {
      case 0:
        return std::string{"GET /ok HTTP/1.1\r\nHost: x\r\n"} + close + "\r\n";
      case 1:
        return std::string{"HEAD /ok HTTP/1.1\r\nHost: x\r\n"} + close
               + "\r\n";
      case 2:
        return std::string{"GET /missing?q=1 HTTP/1.1\r\nHost: x\r\n"} + close
               + "\r\n";
      case 3:
        return std::string{"DELETE /ok HTTP/1.1\r\nHost: x\r\n"} + close
               + "\r\n";
      case 4: {
        auto body = token(below(64));
        return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
               + std::to_string(body.size()) + "\r\n" + close + "\r\n" + body;
      }
      default: {
        std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                          "Transfer-Encoding: chunked\r\n";
        req += close;
        req += "\r\n";
        for (size_t i = below(4); i > 0; --i) {
          auto chunk = token(1 + below(40));
          req += to_hex(chunk.size()) + "\r\n" + chunk + "\r\n";
        }
        return req + "0\r\n\r\n";
      }
    }
  }

  // `text` with a few bytes flipped, inserted, deleted, duplicated or the
  // tail cut.
  std::string mutate(std::string text) {
    static const std::vector<std::string> interesting{
      "\r\n", "\r", "\n", ":", " ", std::string(1, '\0'), "\xff", "0",
      "-1", "\r\n\r\n", "Content-Length: 5\r\n",
      "Transfer-Encoding: chunked\r\n", "%", "?"};
    for (size_t n = 1 + below(4); n > 0 && !text.empty(); --n) {
      auto at = below(text.size());
      switch (below(6)) {
        case 0:
          text[at] = static_cast<char>(text[at] ^ (1 << below(8)));
          break;
        case 1:
          text.insert(at, chance(50) ? bytes(1 + below(4))
                                     : interesting[below(interesting.size())]);
          break;
        case 2:
          text.erase(at, 1 + below(8));
          break;
        case 3:
          text.insert(at, text.substr(at, 1 + below(16)));
          break;
        case 4:
          text.resize(at);
          break;
        default:
          text[at] = static_cast<char>(below(256));
      }
    }
    return text;
  }

  // A GET whose header section is close to the limit: many small fields or
  // a few large ones.
  std::string header_bloat() {
    auto target = header_limit - 64 + below(128);
    std::string req = "GET /ok HTTP/1.1\r\nHost: x\r\n";
    auto count = 1 + below(chance(50) ? 200 : 4);
    auto each = target / count;
    for (size_t i = 0; i < count && req.size() < target; ++i)
      req += "X-" + token(4) + ": " + token(each > 12 ? each - 10 : 1)
             + "\r\n";
    return req + "\r\n";
  }

  // A POST whose body is close to the limit, its length stated honestly or
  // not.
  std::string body_near_limit() {
    auto size = body_limit - 4 + below(9);
    std::string declared;
    switch (below(4)) {
      case 0:
        declared = "99999999999999999999999"; // overflows 64 bits
        break;
      case 1:
        declared = std::to_string(size + below(3));
        break;
      default:
        declared = std::to_string(size);
    }
    return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + declared
           + "\r\n\r\n" + std::string(size, 'b');
  }

  // A chunked POST with something wrong in its framing.
  std::string bogus_chunked() {
    std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n";
    switch (below(7)) {
      case 0:
        return req + "zz\r\nabc\r\n0\r\n\r\n";
      case 1:
        return req + "-1\r\nabc\r\n0\r\n\r\n";
      case 2:
        return req + "fffffffffffffffffffff\r\nabc\r\n";
      case 3:
        return req + "7fffffffffffffff\r\n" + bytes(below(64));
      case 4:
        return req + "3\r\nabc0\r\n\r\n"; // CRLF missing after the data
      case 5:
        return req + "3;" + token(200 + below(2000)) + "\r\nabc\r\n0\r\n\r\n";
      default: {
        // Chunks that add up past the body limit.
        for (size_t total = 0; total <= body_limit; total += 512)
          req += "200\r\n" + std::string(512, 'c') + "\r\n";
        return req + "0\r\n\r\n";
      }
    }
  }

  // What one connection sends.
  std::string payload() {
    switch (below(10)) {
      case 0:
      case 1:
      case 2:
        return mutate(valid_request());
      case 3:
        return header_bloat();
      case 4:
        return body_near_limit();
      case 5:
        return chance(50) ? bogus_chunked() : mutate(bogus_chunked());
      case 6:
      case 7: {
        std::string pipeline;
        for (size_t i = 2 + below(4); i > 0; --i)
          pipeline += chance(70) ? valid_request() : mutate(valid_request());
        return pipeline;
      }
      case 8:
        return bytes(below(256));
      default:
        return valid_request();
    }
  }

private:
  static std::string to_hex(size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string result;
    do {
      result.insert(result.begin(), digits[n % 16]);
      n /= 16;
    } while (n != 0);
    return result;
  }

  std::mt19937_64 rng_;
};

// Checks that `bytes` is a sequence of well-formed responses with known
// statuses, of which only the last may say "Connection: close"; a cut tail is
// allowed only when the connection was reset (the server closed with input
// unread, and its kernel dropped what it had not sent yet). Counts the
// statuses into `seen`. Returns "" when all is well, otherwise what is wrong.
std::string check_responses(const std::string& bytes, bool reset,
                            std::map<int, size_t>& seen) {
  static const std::set<int> known{200, 400, 404, 405, 413, 431};
  size_t at = 0;
  bool closed = false;
  while (at < bytes.size()) {
    if (closed)
      return "bytes after a response with Connection: close";
    auto end = bytes.find("\r\n\r\n", at);
    if (end == std::string::npos || bytes.compare(at, 9, "HTTP/1.1 ") != 0) {
      auto tail = bytes.substr(at);
      const std::string prefix = "HTTP/1.1 ";
      auto like_response = tail.size() < prefix.size()
                             ? prefix.compare(0, tail.size(), tail) == 0
                             : tail.compare(0, prefix.size(), prefix) == 0;
      if (reset && like_response)
        return "";
      return (like_response ? "a response cut short: " : "not a response: ")
             + tail.substr(0, 80);
    }
    auto head = bytes.substr(at, end - at);
    int status = std::atoi(head.c_str() + 9);
    if (known.count(status) == 0)
      return "unexpected status " + std::to_string(status);
    auto cl = head.find("\r\nContent-Length: ");
    if (cl == std::string::npos)
      return "a response without Content-Length";
    auto length = std::strtoull(head.c_str() + cl + 18, nullptr, 10);
    if (end + 4 + length > bytes.size())
      return reset ? "" : "a response body cut short";
    closed = head.find("\r\nConnection: close") != std::string::npos;
    at = end + 4 + length;
    ++seen[status];
  }
  return "";
}

// How a case delivers its payload.
enum class delivery {
  // All at once, then a half-close; read until the server closes.
  whole,
  // In small pieces with short pauses, then a half-close; read until close.
  trickle,
  // Part of it, slowly, then a reset without reading: a client that died.
  cut_off,
};

} // namespace

TEST_SUITE("unit.http_fuzz") {

  TEST_CASE("mutated, oversized and cut-off requests get well-formed answers "
            "or a close, and leave no connection open") {
    http_server_options opts;
    opts.max_header_bytes = header_limit;
    opts.max_body_bytes = body_limit;
    // Short enough that a case the server would wait on ends quickly.
    opts.idle_timeout = 2s;
    auto server = http_server::start(opts, route);
    REQUIRE(server);
    auto port = (*server)->port();
    auto started = std::chrono::steady_clock::now();
    size_t total_cases = 0;
    std::map<int, size_t> seen;
    for (auto seed : seeds()) {
      generator gen{seed};
      for (int i = 0; i < cases_per_seed; ++i) {
        INFO("seed " << seed << ", case " << i
                     << " (replay: CAF_CLUSTER_FUZZ_SEED=" << seed << ")");
        auto payload = gen.payload();
        auto mode = static_cast<delivery>(gen.below(10) < 7
                                            ? 0
                                            : 1 + gen.below(2));
        raw_client c{port, 3000};
        REQUIRE(c.connected());
        if (mode == delivery::whole) {
          c.send(payload);
          c.shut_write();
        } else {
          size_t at = 0;
          auto stop = mode == delivery::cut_off ? gen.below(payload.size() + 1)
                                                : payload.size();
          while (at < stop) {
            auto n = std::min(stop - at, 1 + gen.below(64));
            c.send(payload.substr(at, n));
            at += n;
            if (gen.chance(10))
              std::this_thread::sleep_for(1ms);
          }
          if (mode == delivery::cut_off) {
            c.abort();
            ++total_cases;
            continue;
          }
          c.shut_write();
        }
        auto received = c.rest();
        CAPTURE(payload.substr(0, 200));
        REQUIRE_MESSAGE(c.closed_by_peer(),
                        "the server neither answered nor closed within 3 s");
        CHECK_EQ(check_responses(received, c.reset_by_peer(), seen), "");
        ++total_cases;
      }
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
    std::string statuses;
    for (auto [status, count] : seen)
      statuses += " " + std::to_string(status) + "x" + std::to_string(count);
    MESSAGE(total_cases << " cases in " << took.count()
                        << " ms; responses by status:" << statuses);
    // The generator reaches every answer the server can give here.
    if (seeds().size() > 1)
      for (int status : {200, 400, 404, 405, 413, 431})
        CHECK_MESSAGE(seen.count(status) == 1, "no " << status << " seen");
    // Still serving, and every connection gone within a bounded wait.
    raw_client c{port};
    c.send("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto res = c.response();
    CHECK(res.rfind("HTTP/1.1 200 ", 0) == 0);
    CHECK(c.closed_by_peer());
    for (int i = 0; i < 500 && (*server)->connections() != 0; ++i)
      std::this_thread::sleep_for(10ms);
    CHECK_EQ((*server)->connections(), 0u);
  }
}
