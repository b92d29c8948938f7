// Runners with HTTP gateways behind one bearer token, for the tests of the
// gateway's endpoints and of the dashboard.
#pragma once

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "multiprocess/http_client.hpp"
#include "multiprocess/runner_fixture.hpp"

namespace caf_cluster::multiprocess {

/// A runner and the base URL of its gateway.
struct gateway_runner {
  runner node;
  std::string url; // http://127.0.0.1:PORT
};

/// runner_fixture plus a token file and runners that serve HTTP.
struct gateway_fixture : runner_fixture {
  const std::string token = "gw-test-token-7f3a";
  std::string token_file = dir.file("token");
  std::vector<gateway_runner> gateways;

  gateway_fixture() {
    std::ofstream{token_file} << token << "\n";
    ::chmod(token_file.c_str(), 0600);
  }

  /// Starts `n` runners, each with a gateway on a free port.
  void start_with_gateways(int n) {
    for (int i = 0; i < n; ++i) {
      auto port = pick_free_port();
      auto listen = "127.0.0.1:" + std::to_string(port);
      auto node = start_node(procs, storage, 0,
                             {"--cluster.http-listen=" + listen,
                              "--cluster.http-token-file=" + token_file});
      runners.push_back(node);
      gateways.push_back({node, "http://" + listen});
    }
  }

  /// Polls `url`/health/ready until 200 or `timeout`.
  bool await_ready(const std::string& url, clock_type::duration timeout) {
    auto deadline = clock_type::now() + timeout;
    while (clock_type::now() < deadline) {
      if (fetch(url + "/health/ready").status == 200)
        return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
};

} // namespace caf_cluster::multiprocess
