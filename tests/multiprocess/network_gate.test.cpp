// Attacks 4 and 5 of issue 13 and the limits behind them, against a real
// counter-node: a BASP header announcing 4 GiB, hundreds of connections of
// random bytes, more connections than cluster.max-connections and a peer that
// never completes its handshake. Each must cost the runner a closed
// connection, not memory, and leave it serving other clients.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "multiprocess/cluster.hpp"
#include "multiprocess/raw_peer.hpp"

using namespace caf_cluster::multiprocess;

namespace {

// The bound the issue sets for a runner under attack.
constexpr double rss_bound_mib = 200;

// Checks that `client`, connected before the attack, and a client that
// connects now both get an answer within a second.
void check_still_serving(client_node& client, const std::string& storage,
                         int64_t expected_after) {
  auto start = clock_type::now();
  auto value = client.increment("gate-probe", 1, 1s);
  REQUIRE_MESSAGE(value,
                  "the client connected before the attack: " << value.error());
  CHECK(*value == expected_after);
  CHECK(seconds_between(start, clock_type::now()) < 1.0);
  client_node fresh{storage};
  start = clock_type::now();
  auto again = fresh.get("gate-probe", 1s);
  REQUIRE_MESSAGE(again,
                  "a client connected after the attack: " << again.error());
  CHECK(*again == expected_after);
  CHECK(seconds_between(start, clock_type::now()) < 1.0);
}

// The first increment of the probe counter, before an attack.
void warm_up(client_node& client) {
  auto value = client.increment("gate-probe", 1, 5s);
  REQUIRE_MESSAGE(value, value.error());
  REQUIRE(*value == 1);
}

} // namespace

TEST_SUITE("multiprocess.network_gate") {

  TEST_CASE("attack 4: a BASP header announcing 0xFFFFFFFF bytes closes the "
            "connection before anything is allocated") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto node = start_node(procs, storage);
    client_node client{storage};
    warm_up(client);
    auto pid = node.proc->pid();
    auto before = rss_mib(pid);
    SUBCASE("one connection") {
      raw_connection conn{node.port};
      REQUIRE(conn.send(basp_header(0x01, 0xFFFFFFFFu)));
      CHECK(conn.await_closed(clock_type::now() + 2s));
      auto after = rss_mib(pid);
      MESSAGE("attack 4, one connection: RSS " << before << " MiB before, "
                                               << after << " MiB after");
      CHECK(after > 0);
      CHECK(after < rss_bound_mib);
      check_still_serving(client, storage, 2);
    }
    SUBCASE("two connections at once, then the payload anyway") {
      raw_connection a{node.port};
      raw_connection b{node.port};
      REQUIRE(a.send(basp_header(0x01, 0xFFFFFFFFu)));
      REQUIRE(b.send(basp_header(0x00, 0xFFFFFFFFu)));
      // A megabyte of the announced payload: nobody reads it any more.
      a.send(std::vector<char>(1 << 20, 'x'));
      CHECK(a.await_closed(clock_type::now() + 2s));
      CHECK(b.await_closed(clock_type::now() + 2s));
      auto after = rss_mib(pid);
      MESSAGE("attack 4, two connections: RSS " << before << " MiB before, "
                                                << after << " MiB after");
      CHECK(after > 0);
      CHECK(after < rss_bound_mib);
      check_still_serving(client, storage, 2);
    }
  }

  TEST_CASE("attack 5: 200 connections of random bytes are closed by the "
            "runner, without CLOSE-WAIT pile-up") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto node = start_node(procs, storage);
    client_node client{storage};
    warm_up(client);
    auto pid = node.proc->pid();
    auto before = rss_mib(pid);
    std::mt19937 gen{13};
    std::uniform_int_distribution<int> byte{0, 255};
    std::vector<raw_connection> conns;
    double peak = 0;
    for (int i = 0; i < 200; ++i) {
      conns.emplace_back(node.port);
      std::vector<char> noise(4096);
      for (auto& x : noise)
        x = static_cast<char>(byte(gen));
      conns.back().send(noise);
      if (i % 20 == 0)
        peak = std::max(peak, rss_mib(pid));
    }
    auto deadline = clock_type::now() + 10s;
    int closed = 0;
    for (auto& conn : conns)
      if (conn.await_closed(deadline))
        ++closed;
    peak = std::max(peak, rss_mib(pid));
    CHECK(closed == 200);
    for (auto& conn : conns)
      conn.close();
    // The runner closed its ends first, so none of its sockets waits in
    // CLOSE-WAIT; give the kernel a moment for stragglers.
    int waiting = close_wait_count(node.port);
    for (int i = 0; i < 20 && waiting > 0; ++i) {
      std::this_thread::sleep_for(100ms);
      waiting = close_wait_count(node.port);
    }
    CHECK(waiting == 0);
    MESSAGE("attack 5: RSS "
            << before << " MiB before, peak " << peak << " MiB, " << closed
            << "/200 connections closed by the runner, " << waiting
            << " in CLOSE-WAIT");
    CHECK(peak > 0);
    CHECK(peak < rss_bound_mib);
    check_still_serving(client, storage, 2);
  }

  TEST_CASE("connections beyond cluster.max-connections are closed at once") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto node = start_node(procs, storage, 0,
                           {"--cluster.max-connections=3",
                            "--cluster.handshake-timeout=30s"});
    client_node client{storage};
    warm_up(client);
    // The client holds one connection; two silent ones fill the cap.
    raw_connection a{node.port};
    raw_connection b{node.port};
    CHECK_FALSE(a.await_closed(clock_type::now() + 300ms));
    CHECK_FALSE(b.await_closed(clock_type::now() + 300ms));
    // BASP greets an admitted connection with its handshake.
    CHECK(a.received() > 0);
    raw_connection refused{node.port};
    auto start = clock_type::now();
    CHECK(refused.await_closed(clock_type::now() + 2s));
    CHECK(seconds_between(start, clock_type::now()) < 1.0);
    // Closed before BASP saw it: not even a greeting.
    CHECK(refused.received() == 0);
    // The runner keeps serving the admitted client; closed connections free
    // their places.
    auto value = client.increment("gate-probe", 1, 1s);
    REQUIRE_MESSAGE(value, value.error());
    CHECK(*value == 2);
    a.close();
    b.close();
    bool admitted = false;
    for (int attempt = 0; attempt < 20 && !admitted; ++attempt) {
      raw_connection again{node.port};
      admitted = !again.await_closed(clock_type::now() + 200ms)
        && again.received() > 0;
    }
    CHECK(admitted);
  }

  TEST_CASE("a connection without a handshake is closed after "
            "cluster.handshake-timeout") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    process_group procs;
    auto node = start_node(procs, storage, 0,
                           {"--cluster.handshake-timeout=500ms"});
    client_node client{storage};
    warm_up(client);
    auto start = clock_type::now();
    raw_connection silent{node.port};
    raw_connection partial{node.port};
    // Half a header, then nothing.
    auto hdr = basp_header(0x01, 16);
    hdr.resize(16);
    REQUIRE(partial.send(hdr));
    CHECK(silent.await_closed(start + 5s));
    auto silent_s = seconds_between(start, clock_type::now());
    CHECK(partial.await_closed(start + 5s));
    auto partial_s = seconds_between(start, clock_type::now());
    MESSAGE("closed after " << silent_s << " s (silent) and " << partial_s
                            << " s (half a header)");
    CHECK(silent_s >= 0.45);
    CHECK(silent_s < 2.0);
    CHECK(partial_s < 2.0);
    // The client completed its handshake long ago: it stays connected.
    auto value = client.increment("gate-probe", 1, 1s);
    REQUIRE_MESSAGE(value, value.error());
    CHECK(*value == 2);
  }

  TEST_CASE("a runner on a non-loopback address without TLS warns at start") {
    temp_dir dir;
    auto certs = dir.file("certs");
    make_test_ca(certs);
    // The log of a runner that served until SIGTERM, on `host`.
    auto log_of = [&](const std::string& host, std::vector<std::string> extra) {
      process_group procs;
      auto port = std::to_string(pick_free_port());
      std::vector<std::string> args{"--host", host,        "--port",
                                    port,     "--storage", "memory"};
      args.insert(args.end(), extra.begin(), extra.end());
      auto& proc = procs.spawn(programs::counter_node, args);
      auto line = proc.read_line(clock_type::now() + 10s);
      REQUIRE_MESSAGE(line, proc.err());
      CHECK(line->rfind("ready ", 0) == 0);
      proc.signal(SIGTERM);
      REQUIRE(proc.wait(clock_type::now() + 20s));
      return proc.err();
    };
    auto exposed = log_of("0.0.0.0", {});
    CHECK_MESSAGE(exposed.find("WARN") != std::string::npos, exposed);
    CHECK(exposed.find("security: listening on 0.0.0.0:") != std::string::npos);
    CHECK(exposed.find("without TLS") != std::string::npos);
    auto local = log_of("127.0.0.1", {});
    CHECK_MESSAGE(local.find("without TLS") == std::string::npos, local);
    auto encrypted = log_of("0.0.0.0", tls_flags(certs, "runner"));
    CHECK_MESSAGE(encrypted.find("without TLS") == std::string::npos,
                  encrypted);
  }
}
