// The HTTP gateway of a real counter-node with cluster.http-tls-*: curl
// trusting the test CA gets health and, with the token, metrics over HTTPS;
// plain HTTP to that port fails without an answer and the runner keeps
// serving; unusable TLS files end the runner with one line naming the option.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "multiprocess/cluster.hpp"
#include "multiprocess/raw_peer.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;

namespace {

constexpr const char* token = "gw-tls-token-51c2";

struct curl_reply {
  // curl's exit code: 0 when it got a response.
  int curl_exit = -1;
  int status = 0;
  std::string body;
};

// GET `url` with curl, trusting `ca_file` (none: curl's default trust).
curl_reply curl_get(const std::string& url, const std::string& ca_file,
                    const std::string& bearer = "") {
  std::vector<std::string> args{"-s", "-i", "--max-time", "5"};
  if (!ca_file.empty())
    args.insert(args.end(), {"--cacert", ca_file});
  if (!bearer.empty())
    args.insert(args.end(), {"-H", "Authorization: Bearer " + bearer});
  args.push_back(url);
  auto res = run("/usr/bin/curl", args, 10s);
  curl_reply reply;
  if (!res.status)
    return reply;
  reply.curl_exit = res.status->exited_with(0) ? 0 : 1;
  auto split = res.out.find("\r\n\r\n");
  if (split == std::string::npos)
    return reply;
  reply.body = res.out.substr(split + 4);
  std::istringstream first{res.out.substr(0, split)};
  std::string version;
  first >> version >> reply.status;
  return reply;
}

} // namespace

TEST_SUITE("multiprocess.gateway_tls") {

  TEST_CASE_FIXTURE(runner_fixture,
                    "a runner's HTTPS gateway answers curl trusting the test "
                    "CA, and plain HTTP to it fails cleanly") {
    auto certs = dir.file("certs");
    make_test_ca(certs);
    auto token_file = dir.file("token");
    std::ofstream{token_file} << token << "\n";
    ::chmod(token_file.c_str(), 0600);
    auto listen = "127.0.0.1:" + std::to_string(pick_free_port());
    runners.push_back(start_node(
      procs, storage, 0,
      {"--cluster.http-listen=" + listen,
       "--cluster.http-token-file=" + token_file,
       "--cluster.http-tls-certificate=" + certs + "/runner.pem",
       "--cluster.http-tls-key=" + certs + "/runner.key"}));
    auto ca = certs + "/ca.pem";
    auto https = "https://" + listen;
    auto live = curl_get(https + "/health/live", ca);
    CHECK(live.curl_exit == 0);
    CHECK(live.status == 200);
    CHECK(live.body == "live\n");
    CHECK(curl_get(https + "/metrics", ca).status == 401);
    auto metrics = curl_get(https + "/metrics", ca, token);
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("caf_cluster_shards_held") != std::string::npos);
    // Another CA's certificate is not trusted, and plain HTTP gets no answer.
    auto stranger = curl_get(https + "/health/live", certs + "/other-ca.pem");
    CHECK(stranger.curl_exit != 0);
    CHECK(stranger.status == 0);
    auto plain = curl_get("http://" + listen + "/health/live", "");
    CHECK(plain.curl_exit != 0);
    CHECK(plain.status == 0);
    // The runner survived both and still serves.
    CHECK(curl_get(https + "/health/live", ca).status == 200);
  }

  TEST_CASE("unusable HTTPS files end a runner with one line naming the "
            "option") {
    temp_dir dir;
    auto certs = dir.file("certs");
    make_test_ca(certs);
    auto storage = "sqlite:" + dir.file("cluster.db");
    auto listen = "--cluster.http-listen=127.0.0.1:"
                  + std::to_string(pick_free_port());
    std::vector<refused_start> cases{
      {{listen, "--cluster.http-token=x",
        "--cluster.http-tls-certificate=" + certs + "/runner.pem"},
       "cluster.http-tls-certificate and cluster.http-tls-key must be set "
       "together"},
      {{listen, "--cluster.http-token=x",
        "--cluster.http-tls-certificate=" + certs + "/missing.pem",
        "--cluster.http-tls-key=" + certs + "/runner.key"},
       "cluster.http-tls-certificate '" + certs
         + "/missing.pem': No such file or directory"},
      {{listen, "--cluster.http-token=x",
        "--cluster.http-tls-certificate=" + certs + "/runner.pem",
        "--cluster.http-tls-key=" + certs + "/other.key"},
       "cluster.http-tls-key '" + certs
         + "/other.key': does not match cluster.http-tls-certificate"},
    };
    check_refused_starts(storage, cases);
  }
}
