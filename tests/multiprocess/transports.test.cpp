// The counter cluster over the transports other than CAF's BASP (websocket,
// http): three counter-node runners with --cluster.transport=X on one SQLite
// file.
// Asks through every runner (its HTTP gateway), an in-process client-only
// node and counter-cli processes must answer with exact values while most of
// them cross runners; after kill -9 of one runner every counter answers
// again within the lease bound with no persisted increment lost. A
// WebSocket client of its own (Python's websockets) then sends what a
// runner must refuse: garbage, text and oversized frames and a silent
// connection, curl the HTTP transport's equivalents, and the runner must go
// on serving.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "multiprocess/cluster.hpp"
#include "multiprocess/http_client.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;

namespace {

constexpr int num_counters = 30;

constexpr const char* token = "transport-gw-token-7d21";

struct transport_fixture : runner_fixture {
  std::string transport_flag;
  std::vector<std::string> ids;
  std::vector<std::string> urls;

  transport_fixture() {
    for (int i = 0; i < num_counters; ++i)
      ids.push_back("tc-" + std::to_string(i));
  }

  // Starts three runners on `transport`, each with an HTTP gateway through
  // which the test asks it.
  void start_cluster(const std::string& transport,
                     std::vector<std::string> extra = {}) {
    transport_flag = "--cluster.transport=" + transport;
    for (int i = 0; i < 3; ++i) {
      auto listen = "127.0.0.1:" + std::to_string(pick_free_port());
      auto args = extra;
      args.insert(args.end(),
                  {transport_flag, "--cluster.http-listen=" + listen,
                   std::string{"--cluster.http-token="} + token});
      runners.push_back(start_node(procs, storage, 0, args));
      urls.push_back("http://" + listen);
    }
    settle();
    client = std::make_unique<client_node>(
      storage, std::vector<std::string>{transport_flag});
  }

  // `counter.<op>` on counter `id` through the gateway at `url`; the reply's
  // text, or a description of the failure.
  std::string ask(const std::string& url, const std::string& id,
                  const std::string& op, const std::string& body) {
    auto res = http_request("POST", url + "/entities/Counter/" + id + "/" + op,
                            body, token, {}, 15);
    if (res.status != 200)
      return "status " + std::to_string(res.status) + ": " + res.body;
    auto at = res.body.find("\"reply\":");
    if (at == std::string::npos)
      return "no reply in " + res.body;
    auto begin = res.body.find_first_not_of(' ', at + 8);
    auto end = res.body.find_first_of(",}", begin);
    return res.body.substr(begin, end - begin);
  }

  // After an attack on runner 0: each counter, still 0, takes an increment
  // of 3 through its gateway, so most asks cross to the other runners.
  void check_serving() {
    for (size_t i = 0; i < ids.size(); ++i)
      CHECK_MESSAGE(
        ask(urls[0], ids[i], "increment", R"({"amount": 3})") == "3", ids[i]);
  }

  // Sets counter i to i + 1 through the client (persisted increments), then
  // reads each through every runner and a counter-cli process.
  void fill_and_read() {
    for (size_t i = 0; i < ids.size(); ++i) {
      auto value = client->increment(ids[i], static_cast<int64_t>(i) + 1);
      REQUIRE_MESSAGE(value, ids[i] << ": " << client->render(value.error()));
      REQUIRE(*value == static_cast<int64_t>(i) + 1);
    }
    for (size_t i = 0; i < ids.size(); ++i)
      for (auto& url : urls)
        CHECK_MESSAGE(ask(url, ids[i], "get_value", "")
                        == std::to_string(i + 1),
                      ids[i] << " through " << url);
    for (size_t i = 0; i < 3; ++i) {
      auto res = run(programs::counter_cli,
                     {"--storage", storage, transport_flag, "get", ids[i]},
                     15s);
      REQUIRE_MESSAGE(res.status, "counter-cli get " << ids[i] << " hung");
      CHECK_MESSAGE(res.status->exited_with(0), res.err);
      CHECK(res.out == std::to_string(i + 1) + "\n");
    }
  }

  // kill -9 of runner 1: every counter answers again within the lease bound
  // with its value (persisted, none lost), and increments through the
  // survivors count on from there.
  void kill_and_recover() {
    auto& victim = runners[1];
    auto killed_at = clock_type::now();
    victim.proc->signal(SIGKILL);
    auto rec = await_answers(*client, ids, killed_at, killed_at + 10s);
    MESSAGE(transport_flag << ": failover after kill -9 of " << victim.address
                           << ": " << rec.seconds << " s");
    for (auto& [id, error] : rec.missing)
      FAIL_CHECK(id << " never answered: " << error);
    CHECK(rec.seconds <= 3.0);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto found = rec.values.find(ids[i]);
      if (found != rec.values.end())
        CHECK_MESSAGE(found->second == static_cast<int64_t>(i) + 1, ids[i]);
    }
    for (size_t i = 0; i < ids.size(); ++i)
      CHECK_MESSAGE(ask(urls[i % 2 == 0 ? 0 : 2], ids[i], "increment",
                        R"({"amount": 1})")
                      == std::to_string(i + 2),
                    ids[i]);
  }
};

// A WebSocket client that sends `mode`'s frames to `url` and prints what
// happened: "closed" when the runner closed the connection.
const char* hostile_ws_client = R"(
import asyncio, socket, sys
import websockets

async def cap(url):
    held = [await websockets.connect(url, open_timeout=5) for _ in range(2)]
    try:
        await websockets.connect(url, open_timeout=5)
        print('third accepted')
        return
    except Exception:
        pass
    for ws in held:
        await ws.close()
    for _ in range(40):
        try:
            ws = await websockets.connect(url, open_timeout=5)
            await ws.close()
            print('capped')
            return
        except Exception:
            await asyncio.sleep(0.05)
    print('never accepted again')

async def main(url, mode):
    if mode == 'cap':
        await cap(url)
        return
    if mode == 'silent':
        host, port = url[5:].split("/")[0].split(":")
        s = socket.create_connection((host, int(port)))
        s.settimeout(10)
        print('closed' if s.recv(1) == b'' else 'data')
        return
    frames = {'garbage': [b'\x00\x07not a caf message\xff' * 3],
              'text': ['hello'],
              'oversized': [b'\x00' * (5 * 1024 * 1024)],
              'empty': [b'']}[mode]
    async with websockets.connect(url, max_size=None, ping_interval=None,
                                  open_timeout=5) as ws:
        try:
            for f in frames:
                await ws.send(f)
            await asyncio.wait_for(ws.recv(), 10)
            print('answered')
        except (websockets.ConnectionClosed, OSError):
            print('closed')

asyncio.run(main(sys.argv[1], sys.argv[2]))
)";

} // namespace

TEST_SUITE("multiprocess.transports") {

  TEST_CASE("an unknown transport, and websocket with TLS, end counter-node "
            "with one line naming cluster.transport") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.path() + "/c.db";
    auto res
      = run(programs::counter_node,
            {"--storage", storage, "--port", std::to_string(pick_free_port()),
             "--cluster.transport=pigeon"},
            10s);
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(2), res.status->to_string());
    CHECK(is_one_line(res.err));
    CHECK_MESSAGE(res.err.find("cluster.transport must be socket, websocket "
                               "or http, got \"pigeon\"")
                    != std::string::npos,
                  res.err);
    res = run(programs::counter_node,
              {"--storage", storage, "--port", std::to_string(pick_free_port()),
               "--cluster.transport=websocket",
               "--cluster.tls.ca-file=/nonexistent/ca.pem",
               "--cluster.tls.cert-file=/nonexistent/cert.pem",
               "--cluster.tls.key-file=/nonexistent/key.pem"},
              10s);
    REQUIRE(res.status);
    CHECK_MESSAGE(res.status->exited_with(2), res.status->to_string());
    CHECK(is_one_line(res.err));
    CHECK_MESSAGE(res.err.find("cluster.transport=websocket does not support "
                               "cluster.tls.*")
                    != std::string::npos,
                  res.err);
  }

  TEST_CASE_FIXTURE(transport_fixture,
                    "websocket: three runners answer through every runner and "
                    "clients, and fail over after kill -9") {
    start_cluster("websocket");
    fill_and_read();
    kill_and_recover();
  }

  TEST_CASE_FIXTURE(transport_fixture,
                    "http: three runners answer through every runner and "
                    "clients, and fail over after kill -9") {
    start_cluster("http");
    fill_and_read();
    kill_and_recover();
  }

  TEST_CASE_FIXTURE(transport_fixture,
                    "http: requests that are not a session's sends or polls "
                    "are refused, garbage ends its session, and the runner "
                    "goes on serving") {
    start_cluster("http");
    auto base = "http://" + runners[0].listen_address;
    const std::string session = "X-Caf-Cluster-Session: test-1";
    CHECK(
      http_request("GET", base + "/caf-cluster/poll", {}, {}, {session}).status
      == 400);
    CHECK(http_request("POST", base + "/caf-cluster/send", "x").status == 400);
    CHECK(http_request("POST", base + "/elsewhere", "x", {}, {session}).status
          == 404);
    // Not length-prefixed frames: refused as such.
    CHECK(http_request("POST", base + "/caf-cluster/send",
                       "\x01garbage, not a caf message", {}, {session})
            .status
          == 400);
    // A well-framed frame is accepted, then refused by the session's actor,
    // which ends the session (its connections are closed).
    CHECK(http_request("POST", base + "/caf-cluster/send",
                       std::string("\0\0\0\x05", 4) + "junk!", {}, {session})
            .status
          == 204);
    // Larger than a frame may be: the connection closes, no status.
    CHECK(http_request("POST", base + "/caf-cluster/send",
                       std::string(5 * 1024 * 1024, 'x'), {}, {session})
            .status
          == 0);
    REQUIRE_MESSAGE(!runners[0].proc->wait(clock_type::now()),
                    runners[0].proc->err());
    check_serving();
  }

  TEST_CASE_FIXTURE(transport_fixture,
                    "websocket: garbage, text, oversized and silent "
                    "connections are closed and the runner goes on serving") {
    // A short handshake deadline keeps the silent connection's wait short.
    start_cluster("websocket", {"--cluster.handshake-timeout=1s"});
    auto url = "ws://" + runners[0].listen_address + "/caf-cluster";
    for (std::string mode :
         {"garbage", "text", "oversized", "empty", "silent"}) {
      auto res = run("/usr/bin/python3", {"-c", hostile_ws_client, url, mode},
                     30s);
      REQUIRE_MESSAGE(res.status, mode << ": the client hung");
      CHECK_MESSAGE(res.out == "closed\n", mode << ": " << res.out << res.err);
      REQUIRE_MESSAGE(!runners[0].proc->wait(clock_type::now()),
                      mode << " ended the runner: " << runners[0].proc->err());
    }
    // The runner still serves, also asks that cross to the other runners.
    check_serving();
  }

  TEST_CASE_FIXTURE(transport_fixture,
                    "websocket: connections beyond cluster.max-connections "
                    "are closed at accept, and admitted again once others "
                    "closed") {
    runners.push_back(start_node(procs, storage, 0,
                                 {"--cluster.transport=websocket",
                                  "--cluster.max-connections=2"}));
    auto url = "ws://" + runners[0].listen_address + "/caf-cluster";
    auto res = run("/usr/bin/python3", {"-c", hostile_ws_client, url, "cap"},
                   30s);
    REQUIRE_MESSAGE(res.status, "the client hung");
    CHECK_MESSAGE(res.out == "capped\n", res.out << res.err);
    CHECK_MESSAGE(!runners[0].proc->wait(clock_type::now()),
                  runners[0].proc->err());
  }

  TEST_CASE("a websocket runner on a non-loopback address warns at start") {
    // The log of a runner that served until SIGTERM, on `host`.
    auto log_of = [&](const std::string& host) {
      process_group procs;
      auto& proc = procs.spawn(programs::counter_node,
                               {"--host", host, "--port",
                                std::to_string(pick_free_port()), "--storage",
                                "memory", "--cluster.transport=websocket"});
      auto line = proc.read_line(clock_type::now() + 10s);
      REQUIRE_MESSAGE(line, proc.err());
      CHECK(line->rfind("ready ", 0) == 0);
      proc.signal(SIGTERM);
      REQUIRE(proc.wait(clock_type::now() + 20s));
      return proc.err();
    };
    auto exposed = log_of("0.0.0.0");
    CHECK_MESSAGE(exposed.find("WARN") != std::string::npos, exposed);
    CHECK(exposed.find("security: listening on 0.0.0.0:") != std::string::npos);
    CHECK(exposed.find("with cluster.transport=websocket, which has no TLS")
          != std::string::npos);
    auto local = log_of("127.0.0.1");
    CHECK_MESSAGE(local.find("WARN") == std::string::npos, local);
  }
}
