// Mutual TLS (cluster.tls.*): a runner talks only to peers presenting a
// certificate of the cluster's CA. A plain CAF program, which reached the
// router in attack 1 of issue 13, and one with another CA's certificate get
// no connection; a member's certificate works, and a whole cluster of runners
// and clients serves over TLS.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/io/middleman.hpp"
#include "caf/openssl/manager.hpp"
#include "caf/openssl/remote_actor.hpp"

#include "multiprocess/cluster.hpp"
#include "multiprocess/raw_peer.hpp"

using namespace caf_cluster::multiprocess;

namespace {

// How a bare CAF program (no caf-cluster code) presents itself.
struct stranger {
  std::string cafile;
  std::string cert;
  std::string key;
};

// Calls remote_actor on 127.0.0.1:`port` from a CAF program of its own, with
// TLS when `who` has a certificate; returns the error text, or "" when it got
// the router.
std::string reach_router(uint16_t port, const stranger& who) {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  if (!who.cert.empty()) {
    cfg.openssl_cafile = who.cafile;
    cfg.openssl_certificate = who.cert;
    cfg.openssl_key = who.key;
    cfg.load<caf::openssl::manager>();
  }
  caf::actor_system sys{cfg};
  // CAF waits for the handshake without a timeout of its own: the runner's
  // handshake deadline is what ends a connection that gets nowhere.
  auto router = who.cert.empty()
    ? sys.middleman().remote_actor("127.0.0.1", port)
    : caf::openssl::remote_actor(sys, "127.0.0.1", port);
  if (!router)
    return sys.render(router.error());
  return *router ? std::string{} : std::string{"null handle"};
}

std::string reach_router_within(uint16_t port, const stranger& who,
                                std::chrono::seconds bound) {
  auto result = std::async(std::launch::async, [=] {
    return reach_router(port, who);
  });
  REQUIRE_MESSAGE(result.wait_for(bound) == std::future_status::ready,
                  "remote_actor did not return within " << bound.count()
                                                        << " s");
  return result.get();
}

} // namespace

TEST_SUITE("multiprocess.tls") {

  TEST_CASE("attack 1 with TLS on: only a certificate of the cluster's CA "
            "reaches the router") {
    temp_dir dir;
    auto certs = dir.file("certs");
    make_test_ca(certs);
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto flags = tls_flags(certs, "runner");
    flags.push_back("--cluster.handshake-timeout=1s");
    auto node = start_node(procs, storage, 0, flags);
    SUBCASE("a plain CAF program") {
      auto err = reach_router_within(node.port, {}, 10s);
      MESSAGE("plain CAF: " << err);
      CHECK_FALSE(err.empty());
    }
    SUBCASE("a CAF program with a certificate of another CA") {
      auto err = reach_router_within(
        node.port,
        {certs + "/ca.pem", certs + "/other.pem", certs + "/other.key"}, 10s);
      MESSAGE("other CA: " << err);
      CHECK_FALSE(err.empty());
    }
    SUBCASE("a CAF program with a member's certificate") {
      auto err = reach_router_within(
        node.port,
        {certs + "/ca.pem", certs + "/client.pem", certs + "/client.key"}, 10s);
      CHECK_MESSAGE(err.empty(), err);
    }
    SUBCASE("raw bytes and a 4 GiB header") {
      raw_connection conn{node.port};
      conn.send(basp_header(0x01, 0xFFFFFFFFu));
      CHECK(conn.await_closed(clock_type::now() + 3s));
      CHECK(rss_mib(node.proc->pid()) < 200);
    }
    // No entity message got through, and members are served.
    {
      client_node outsider{storage};
      auto refused = outsider.increment("attack-1", 1000000, 3s);
      CHECK_FALSE(refused);
    }
    client_node member{storage, tls_flags(certs, "client")};
    auto value = member.get("attack-1", 5s);
    REQUIRE_MESSAGE(value, value.error());
    CHECK(*value == 0);
  }

  TEST_CASE("unusable TLS files are refused at start, naming the file and "
            "OpenSSL's reason") {
    temp_dir dir;
    auto certs = dir.file("certs");
    make_test_ca(certs);
    struct bad_files {
      std::string ca;
      std::string cert;
      std::string key;
      std::string message;
    };
    std::vector<bad_files> cases{
      {"ca.pem", "runner.pem", "missing.key",
       "cluster.tls.key-file '" + certs
         + "/missing.key': No such file or directory"},
      {"ca.pem", "runner.pem", "client.key",
       "cluster.tls.key-file '" + certs + "/client.key': error:"},
      {"runner.key", "runner.pem", "runner.key",
       "cluster.tls.ca-file '" + certs + "/runner.key': error:"},
    };
    for (auto& c : cases) {
      CAPTURE(c.message);
      auto res = run(programs::counter_node,
                     {"--port", std::to_string(pick_free_port()), "--storage",
                      "memory", "--cluster.tls.ca-file=" + certs + "/" + c.ca,
                      "--cluster.tls.cert-file=" + certs + "/" + c.cert,
                      "--cluster.tls.key-file=" + certs + "/" + c.key},
                     10s);
      REQUIRE(res.status);
      CHECK_MESSAGE(res.status->exited_with(2), res.status->to_string());
      CHECK(res.out.empty());
      CHECK_MESSAGE(is_one_line(res.err), res.err);
      CHECK_MESSAGE(res.err.rfind("counter-node: " + c.message, 0) == 0,
                    res.err);
    }
  }

  TEST_CASE("a cluster of two runners and its clients serves over TLS") {
    temp_dir dir;
    auto certs = dir.file("certs");
    make_test_ca(certs);
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto a = start_node(procs, storage, 0, tls_flags(certs, "runner"));
    auto b = start_node(procs, storage, 0, tls_flags(certs, "runner"));
    await_shard_counts(storage, {{a.address, 150}, {b.address, 150}}, 20s);
    client_node client{storage, tls_flags(certs, "client")};
    // Counters on both runners: the client talks to each, and each runner
    // forwards to the other through TLS when it routes.
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i)
      ids.push_back("tls-" + std::to_string(i));
    for (auto& id : ids) {
      auto value = client.increment(id, 2, 5s);
      REQUIRE_MESSAGE(value, id << ": " << value.error());
      CHECK(*value == 2);
    }
    std::vector<std::string> cli{"--storage", storage};
    auto client_flags = tls_flags(certs, "client");
    cli.insert(cli.end(), client_flags.begin(), client_flags.end());
    cli.insert(cli.end(), {"increment", ids[0], "5"});
    auto res = run(programs::counter_cli, cli, 15s);
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(0), res.err);
    CHECK(res.out == "7\n");
    // Without a certificate counter-cli is refused.
    auto plain = run(
      programs::counter_cli,
      {"--storage", storage, "--cluster.send-timeout=2s", "get", ids[0]}, 15s);
    REQUIRE(plain.status);
    CHECK_FALSE(plain.status->exited_with(0));
  }
}
