// The configuration contract users rely on: the defaults, each validation rule
// and its message, the CLI and INI syntax CAF 0.17 accepts for `cluster.*`,
// the scheduler defaults of cluster_config, and runner address parsing.
#include <doctest/doctest.h>

#include <algorithm>
#include <thread>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "caf/actor_system_config.hpp"
#include "caf/atom.hpp"
#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"
#include "caf/deep_to_string.hpp"
#include "caf/pec.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/runner_address.hpp"
#include "caf_cluster/sharding_config.hpp"

using namespace std::chrono_literals;
using caf_cluster::cluster_config;
using caf_cluster::sharding_config;

namespace {

bool has_code(const caf::error& err, caf_cluster::errc code) {
  return err && err.category() == caf_cluster::errc_category
         && err.code() == static_cast<uint8_t>(code);
}

std::string message_of(const caf::error& err) {
  if (err && err.context().size() == 1
      && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return "<no message: " + caf::to_string(err) + ">";
}

// Parses `args` and `ini` without touching caf-application.ini in the cwd.
caf::error parse(caf::actor_system_config& cfg, std::vector<std::string> args,
                 const std::string& ini = "") {
  std::istringstream in{ini};
  return cfg.parse(std::move(args), in);
}

caf::expected<sharding_config> read(std::vector<std::string> args,
                                    const std::string& ini = "") {
  cluster_config cfg;
  if (auto err = parse(cfg, std::move(args), ini))
    return err;
  return cfg.sharding();
}

// A file in the temp directory, removed with the object.
struct temp_file {
  explicit temp_file(const std::string& text) {
    char tmpl[] = "/tmp/caf_cluster_cfg_XXXXXX";
    auto fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream out{path};
    out << text;
  }

  ~temp_file() {
    std::remove(path.c_str());
  }

  std::string path;
};

} // namespace

TEST_SUITE("caf_cluster.sharding_config") {

TEST_CASE("defaults") {
  sharding_config x;
  CHECK_EQ(x.shards_per_group, 300);
  CHECK_EQ(x.shard_groups, std::vector<std::string>{"default"});
  CHECK_EQ(x.runner_address, "");
  CHECK_EQ(x.runner_listen_address, "");
  CHECK_EQ(x.runner_weight, 1);
  CHECK_EQ(x.entity_mailbox_capacity, 4096);
  CHECK_EQ(x.max_resident_entities, 0);
  CHECK(x.entity_max_idle == 1min);
  CHECK(x.entity_termination_timeout == 15s);
  CHECK(x.lease_duration == 2s);
  CHECK(x.lease_refresh_interval == 500ms);
  CHECK(x.refresh_assignments_interval == 1s);
  CHECK(x.send_retry_interval == 100ms);
  CHECK(x.send_timeout == 10s);
  CHECK(x.message_claim_timeout == 10s);
  CHECK_EQ(x.storage, "memory");
  CHECK(!x.storage_synchronous_full);
  CHECK(!x.client_only);
  CHECK(x.sqlite().create_missing);
  CHECK(x.message_retention == 24h);
  CHECK(x.message_retention_by_type.empty());
  CHECK(x.retention_sweep_interval == 1min);
  CHECK_EQ(x.retention_batch_size, 500);
  CHECK(!x.validate());
}

TEST_CASE("message retention: 0s is for ever, per type as TYPE=DURATION") {
  sharding_config x;
  x.message_retention = 0s;
  x.message_retention_by_type = {"caf_cluster.cron/second=1h", "a=b=0s",
                                 "Orders=87600h"};
  REQUIRE(!x.validate());
  auto by_type = x.retention_by_type();
  REQUIRE(by_type);
  CHECK_EQ(by_type->size(), 3u);
  CHECK(by_type->at("caf_cluster.cron/second") == 1h);
  CHECK(by_type->at("a=b") == 0s);
  CHECK(by_type->at("Orders") == 87600h);
  auto refused = [](std::vector<std::string> entries) {
    sharding_config y;
    y.message_retention_by_type = std::move(entries);
    auto err = y.validate();
    REQUIRE(err);
    return message_of(err);
  };
  CHECK_EQ(refused({"Orders"}),
           R"(cluster.message-retention-by-type entries must be "TYPE=DURATION", got "Orders")");
  CHECK_EQ(refused({"=1h"}),
           R"(cluster.message-retention-by-type entries must be "TYPE=DURATION", got "=1h")");
  CHECK_EQ(refused({"Orders=1.5h"}),
           R"(cluster.message-retention-by-type entry "Orders=1.5h" needs a duration after '=': an integer with a unit ns, us, ms, s, min or h, e.g. 90s)");
  CHECK_EQ(refused({"Orders=500ms"}),
           R"(cluster.message-retention-by-type entry "Orders=500ms" must be 0s (for ever) or between 1s and 87600h, got 500ms)");
  CHECK_EQ(refused({"Orders=1h", "Orders=2h"}),
           R"(cluster.message-retention-by-type names entity type "Orders" twice)");
  sharding_config z;
  z.message_retention = 500ms;
  CHECK_EQ(message_of(z.validate()),
           "cluster.message-retention must be 0s (for ever) or between 1s "
           "and 87600h, got 500ms");
  z.message_retention = 1h;
  z.retention_batch_size = 0;
  CHECK_EQ(message_of(z.validate()),
           "cluster.retention-batch-size must be between 1 and 100000, got 0");
  z.retention_batch_size = 1;
  z.retention_sweep_interval = 25h;
  CHECK_EQ(message_of(z.validate()),
           "cluster.retention-sweep-interval must be between 1ms and 24h, got "
           "25h");
}

TEST_CASE("reading an unconfigured cluster_config gives the defaults") {
  cluster_config cfg;
  auto x = cfg.sharding();
  REQUIRE(x);
  CHECK_EQ(x->shards_per_group, 300);
  CHECK_EQ(x->shard_groups, std::vector<std::string>{"default"});
  CHECK(x->entity_max_idle == 1min);
  CHECK(x->send_timeout == 10s);
  CHECK_EQ(x->storage, "memory");
}

TEST_CASE("declare_options stores the defaults for --dump-config") {
  cluster_config cfg;
  CHECK_EQ(caf::get_or(cfg, "cluster.shards-per-group", int64_t{0}), 300);
  CHECK(caf::get_or(cfg, "cluster.entity-max-idle", caf::timespan{0})
        == 1min);
  CHECK_EQ(caf::get_or(cfg, "cluster.storage", ""), "memory");
  auto groups = caf::get_if<std::vector<std::string>>(&cfg,
                                                      "cluster.shard-groups");
  REQUIRE(groups);
  CHECK_EQ(*groups, std::vector<std::string>{"default"});
}

TEST_CASE("validate refuses each bad value and names the option") {
  struct rule {
    std::function<void(sharding_config&)> change;
    std::string message;
  };
  std::vector<rule> rules{
    {[](auto& x) { x.shards_per_group = 0; },
     "cluster.shards-per-group must be at least 1, got 0"},
    {[](auto& x) { x.client_only = true; },
     "cluster.client-only needs a cluster.storage shared with the runners "
     "(sqlite:<path> or postgresql://...), got \"memory\""},
    {[](auto& x) { x.shards_per_group = -7; },
     "cluster.shards-per-group must be at least 1, got -7"},
    {[](auto& x) { x.shards_per_group = 1'000'001; },
     "cluster.shards-per-group must be at most 1000000, got 1000001"},
    {[](auto& x) { x.shard_groups.clear(); },
     "cluster.shard-groups must name at least one group, got []"},
    {[](auto& x) {
       x.shard_groups = {"a", ""};
     },
     R"(cluster.shard-groups must not contain an empty name, got ["a", ""])"},
    {[](auto& x) { x.shard_groups = {"a:b"}; },
     R"(cluster.shard-groups names must not contain ':', got "a:b")"},
    {[](auto& x) {
       x.shard_groups = {"a", "b", "a"};
     },
     R"(cluster.shard-groups must not repeat a name, got "a" twice)"},
    {[](auto& x) { x.runner_address = "localhost"; },
     R"(cluster.runner-address is invalid: invalid runner address )"
     R"("localhost": missing port; expected host:port or [ipv6]:port)"},
    {[](auto& x) {
       x.runner_address = "10.0.0.7:34001";
       x.runner_listen_address = "0.0.0.0:0";
     },
     R"(cluster.runner-listen-address is invalid: invalid runner address )"
     R"("0.0.0.0:0": the port must be in 1..65535; expected host:port or )"
     R"([ipv6]:port)"},
    {[](auto& x) { x.runner_listen_address = "0.0.0.0:34001"; },
     R"(cluster.runner-listen-address needs cluster.runner-address (the )"
     R"(address peers use), got "0.0.0.0:34001" with an empty )"
     R"(cluster.runner-address)"},
    {[](auto& x) { x.runner_weight = 0; },
     "cluster.runner-weight must be at least 1, got 0"},
    {[](auto& x) { x.entity_mailbox_capacity = 0; },
     "cluster.entity-mailbox-capacity must be at least 1, got 0"},
    {[](auto& x) { x.max_resident_entities = -1; },
     "cluster.max-resident-entities must be at least 0, got -1"},
    {[](auto& x) { x.entity_max_idle = 0s; },
     "cluster.entity-max-idle must be between 1ms and 168h, got 0s"},
    {[](auto& x) { x.entity_termination_timeout = -5s; },
     "cluster.entity-termination-timeout must be between 1ms and 1h, got -5s"},
    {[](auto& x) { x.lease_duration = 0s; },
     "cluster.lease-duration must be between 10ms and 1h, got 0s"},
    {[](auto& x) { x.lease_refresh_interval = 0s; },
     "cluster.lease-refresh-interval must be positive, got 0s"},
    {[](auto& x) { x.lease_refresh_interval = 1s; },
     "cluster.lease-refresh-interval must be less than half of "
     "cluster.lease-duration (2s / 2 = 1s), got 1s"},
    {[](auto& x) { x.refresh_assignments_interval = 0s; },
     "cluster.refresh-assignments-interval must be between 1ms and 1h, got 0s"},
    {[](auto& x) { x.send_retry_interval = -1ms; },
     "cluster.send-retry-interval must be between 1ms and 1min, got -1ms"},
    {[](auto& x) { x.send_timeout = 0s; },
     "cluster.send-timeout must be between 1ms and 24h, got 0s"},
    {[](auto& x) { x.send_retry_interval = 1ns; },
     "cluster.send-retry-interval must be between 1ms and 1min, got 1ns"},
    {[](auto& x) { x.send_timeout = 2562047h; },
     "cluster.send-timeout must be between 1ms and 24h, got 2562047h"},
    {[](auto& x) { x.entity_max_idle = 169h; },
     "cluster.entity-max-idle must be between 1ms and 168h, got 169h"},
    {[](auto& x) { x.message_claim_timeout = 1ms; },
     "cluster.message-claim-timeout must be between 10ms and 24h, got 1ms"},
    {[](auto& x) { x.handshake_timeout = 1h; },
     "cluster.handshake-timeout must be between 10ms and 5min, got 1h"},
    {[](auto& x) { x.max_clock_skew = -1s; },
     "cluster.max-clock-skew must be between 0s and 1h, got -1s"},
    {[](auto& x) { x.max_message_size = 100; },
     "cluster.max-message-size must be between 1024 and 1073741824, got 100"},
    {[](auto& x) { x.max_entity_id_length = 0; },
     "cluster.max-entity-id-length must be between 1 and 1048576, got 0"},
    {[](auto& x) { x.max_connections = 0; },
     "cluster.max-connections must be between 1 and 65536, got 0"},
    {[](auto& x) { x.tls_ca_file = "ca.pem"; },
     R"(cluster.tls.ca-file, cluster.tls.cert-file and cluster.tls.key-file )"
     R"(must be set together (all three or none), got ca-file="ca.pem", )"
     R"(cert-file="", key-file="")"},
    {[](auto& x) { x.http_listen = "127.0.0.1:8001"; },
     R"(cluster.http-listen="127.0.0.1:8001" needs exactly one of )"
     R"(cluster.http-token, cluster.http-token-file and )"
     R"(cluster.http-anonymous, got 0)"},
    {[](auto& x) {
       x.http_listen = "127.0.0.1:8001";
       x.http_token = "t";
       x.http_token_file = "f";
     },
     R"(cluster.http-listen="127.0.0.1:8001" needs exactly one of )"
     R"(cluster.http-token, cluster.http-token-file and )"
     R"(cluster.http-anonymous, got 2)"},
    {[](auto& x) {
       x.http_listen = "10.0.0.5:8001";
       x.http_anonymous = true;
     },
     R"(cluster.http-anonymous serves without a token, so it needs a )"
     R"(loopback cluster.http-listen (127.0.0.1, ::1), got "10.0.0.5:8001")"},
    {[](auto& x) {
       x.http_listen = "gateway.local:8001";
       x.http_token = "t";
     },
     R"(cluster.http-listen needs an IP address as its host (127.0.0.1, )"
     R"(0.0.0.0, [::1]), got "gateway.local:8001")"},
    {[](auto& x) { x.http_token = "t"; },
     "cluster.http-token, cluster.http-token-file and cluster.http-anonymous "
     "need cluster.http-listen, which is empty"},
    {[](auto& x) {
       x.http_listen = "127.0.0.1:8001";
       x.http_token = "t";
       x.http_tls_certificate = "gw.pem";
     },
     R"(cluster.http-tls-certificate and cluster.http-tls-key must be set )"
     R"(together (both or neither), got http-tls-certificate="gw.pem", )"
     R"(http-tls-key="")"},
    {[](auto& x) {
       x.http_tls_certificate = "gw.pem";
       x.http_tls_key = "gw.key";
     },
     "cluster.http-tls-certificate and cluster.http-tls-key need "
     "cluster.http-listen, which is empty"},
    {[](auto& x) { x.storage = "sqlite:"; },
     R"(cluster.storage is invalid: invalid storage location "sqlite:": the )"
     R"(path is empty; expected "memory", "sqlite:<path>" or )"
     R"("postgresql://[USER@]HOST[:PORT]/DB[?OPTIONS]")"},
  };
  for (const auto& r : rules) {
    CAPTURE(r.message);
    sharding_config x;
    r.change(x);
    auto err = x.validate();
    CHECK(has_code(err, caf_cluster::errc::invalid_config));
    CHECK_EQ(message_of(err), r.message);
  }
}

TEST_CASE("validate accepts the boundaries") {
  sharding_config x;
  x.shards_per_group = 1;
  CHECK(!x.validate());
  x.shards_per_group = 1'000'000;
  x.lease_refresh_interval = 999ms;
  x.runner_address = "[::1]:34001";
  x.runner_listen_address = "0.0.0.0:34001";
  x.shard_groups = {"default", "billing"};
  x.storage = "sqlite:data/cluster.db";
  CHECK(!x.validate());
  // Anonymous gateways on every loopback form.
  x.http_anonymous = true;
  for (auto listen : {"127.0.0.1:8001", "127.9.9.9:8001", "[::1]:8001"}) {
    x.http_listen = listen;
    CHECK_MESSAGE(!x.validate(), listen);
  }
  x.http_anonymous = false;
  x.http_token = "secret";
  x.http_listen = "0.0.0.0:8001";
  CHECK(!x.validate());
}

TEST_CASE("command line flags") {
  auto x
    = read({"--cluster.shards-per-group=64", "--cluster.entity-max-idle=90s",
            "--cluster.storage=sqlite:/tmp/x.db",
            R"(--cluster.shard-groups=["a","b"])"});
  REQUIRE(x);
  CHECK_EQ(x->shards_per_group, 64);
  CHECK(x->entity_max_idle == 90s);
  CHECK_EQ(x->storage, "sqlite:/tmp/x.db");
  CHECK_EQ(x->shard_groups, std::vector<std::string>{"a", "b"});
  CHECK(x->lease_duration == 2s);
  CHECK_EQ(x->entity_mailbox_capacity, 4096);
}

TEST_CASE("every option has a flag") {
  auto x = read({
    "--cluster.shards-per-group=7",
    "--cluster.shard-groups=x",
    "--cluster.runner-address=10.0.0.7:34001",
    "--cluster.runner-listen-address=0.0.0.0:34001",
    "--cluster.runner-weight=3",
    "--cluster.entity-mailbox-capacity=10",
    "--cluster.max-resident-entities=500",
    "--cluster.entity-max-idle=2h",
    "--cluster.entity-termination-timeout=100ms",
    "--cluster.lease-duration=1min",
    "--cluster.lease-refresh-interval=10s",
    "--cluster.refresh-assignments-interval=250ms",
    "--cluster.send-retry-interval=10ms",
    "--cluster.send-timeout=20s",
    "--cluster.message-claim-timeout=3s",
    "--cluster.storage=memory",
    "--cluster.storage-synchronous-full", // a bool flag takes no value
    "--cluster.message-retention=90min",
    // Entries hold '=': quoted, as a list of strings.
    R"(--cluster.message-retention-by-type=["Orders=0s", "Cron=1h"])",
    "--cluster.retention-sweep-interval=30s",
    "--cluster.retention-batch-size=50",
  });
  REQUIRE_MESSAGE(x, (x ? std::string{} : message_of(x.error())));
  CHECK_EQ(x->shards_per_group, 7);
  CHECK_EQ(x->shard_groups, std::vector<std::string>{"x"});
  CHECK_EQ(x->runner_address, "10.0.0.7:34001");
  CHECK_EQ(x->runner_listen_address, "0.0.0.0:34001");
  CHECK_EQ(x->runner_weight, 3);
  CHECK_EQ(x->entity_mailbox_capacity, 10);
  CHECK_EQ(x->max_resident_entities, 500);
  CHECK(x->entity_max_idle == 2h);
  CHECK(x->entity_termination_timeout == 100ms);
  CHECK(x->lease_duration == 1min);
  CHECK(x->lease_refresh_interval == 10s);
  CHECK(x->refresh_assignments_interval == 250ms);
  CHECK(x->send_retry_interval == 10ms);
  CHECK(x->send_timeout == 20s);
  CHECK(x->message_claim_timeout == 3s);
  CHECK_EQ(x->storage, "memory");
  CHECK(x->storage_synchronous_full);
  CHECK(x->sqlite().synchronous_full);
  CHECK(x->message_retention == 90min);
  CHECK_EQ(x->message_retention_by_type,
           std::vector<std::string>{"Orders=0s", "Cron=1h"});
  CHECK(x->retention_sweep_interval == 30s);
  CHECK_EQ(x->retention_batch_size, 50);
}

TEST_CASE("cluster.client-only is a flag and never creates the database") {
  auto x = read({"--cluster.client-only", "--cluster.storage=sqlite:/tmp/x.db"});
  REQUIRE(x);
  CHECK(x->client_only);
  CHECK(!x->sqlite().create_missing);
}

TEST_CASE("list flags with and without brackets and quotes") {
  for (auto arg :
       {"--cluster.shard-groups=a,b", "--cluster.shard-groups=[a,b]",
        R"(--cluster.shard-groups=["a", "b"])"}) {
    CAPTURE(std::string{arg});
    auto x = read({arg});
    REQUIRE(x);
    CHECK_EQ(x->shard_groups, std::vector<std::string>{"a", "b"});
  }
  auto x = read({"--cluster.shard-groups=[]"});
  REQUIRE(!x);
  CHECK_EQ(message_of(x.error()),
           "cluster.shard-groups must name at least one group, got []");
}

TEST_CASE("parse refuses malformed flags") {
  struct bad {
    std::string arg;
    caf::pec code;
  };
  std::vector<bad> cases{
    {"--cluster.shards-per-group=abc", caf::pec::unexpected_character},
    {"--cluster.shards-per-group=5000000000", caf::pec::integer_overflow},
    {"--cluster.entity-max-idle=1.5s", caf::pec::unexpected_character},
    {"--cluster.entity-max-idle=90", caf::pec::unexpected_eof},
    {"--cluster.entity-max-idle=2d", caf::pec::unexpected_character},
    {"--cluster.shard-groups=", caf::pec::missing_argument},
    {"--cluster.no-such-option=1", caf::pec::not_an_option},
  };
  for (const auto& c : cases) {
    CAPTURE(c.arg);
    cluster_config cfg;
    auto err = parse(cfg, {c.arg});
    REQUIRE(err);
    CHECK_EQ(err.category(), caf::atom("parser"));
    CHECK_EQ(err.code(), static_cast<uint8_t>(c.code));
    CHECK_NE(caf::to_string(err).find(c.arg), std::string::npos);
  }
}

TEST_CASE("flags that parse but fail validation are refused by sharding()") {
  auto x = read({"--cluster.shards-per-group=0"});
  REQUIRE(!x);
  CHECK(has_code(x.error(), caf_cluster::errc::invalid_config));
  CHECK_NE(message_of(x.error()).find("cluster.shards-per-group"),
           std::string::npos);
  x = read({"--cluster.entity-max-idle=-5s"});
  REQUIRE(!x);
  CHECK_EQ(message_of(x.error()),
           "cluster.entity-max-idle must be between 1ms and 168h, got -5s");
}

TEST_CASE("INI file with a [cluster] section") {
  temp_file ini{"[cluster]\n"
                "shards-per-group = 64\n"
                "shard-groups = [\"a\", \"b\"]\n"
                "runner-address = \"[::1]:34001\"\n"
                "entity-max-idle = 90s\n"
                "lease-refresh-interval = 250ms\n"
                "storage = \"sqlite:/tmp/x.db\"\n"};
  cluster_config cfg;
  REQUIRE(!cfg.parse(std::vector<std::string>{}, ini.path.c_str()));
  auto x = cfg.sharding();
  REQUIRE(x);
  CHECK_EQ(x->shards_per_group, 64);
  CHECK_EQ(x->shard_groups, std::vector<std::string>{"a", "b"});
  CHECK_EQ(x->runner_address, "[::1]:34001");
  CHECK(x->entity_max_idle == 90s);
  CHECK(x->lease_refresh_interval == 250ms);
  CHECK_EQ(x->storage, "sqlite:/tmp/x.db");
  CHECK(x->send_timeout == 10s);
}

TEST_CASE("flags override the INI file") {
  temp_file ini{"[cluster]\nshards-per-group = 64\nentity-max-idle = 90s\n"};
  cluster_config cfg;
  REQUIRE(
    !cfg.parse(std::vector<std::string>{"--cluster.shards-per-group=65"},
               ini.path.c_str()));
  auto x = cfg.sharding();
  REQUIRE(x);
  CHECK_EQ(x->shards_per_group, 65);
  CHECK(x->entity_max_idle == 90s);
}

TEST_CASE("--config-file names the INI file") {
  temp_file ini{"cluster {\n  shards-per-group = 12\n}\n"};
  cluster_config cfg;
  REQUIRE(!cfg.parse(std::vector<std::string>{"--config-file=" + ini.path}));
  auto x = cfg.sharding();
  REQUIRE(x);
  CHECK_EQ(x->shards_per_group, 12);
}

TEST_CASE("mistyped INI values are refused by sharding(), not dropped") {
  struct bad {
    std::string ini;
    std::string message;
  };
  std::vector<bad> cases{
    {"[cluster]\nentity-max-idle = 90\n",
     "cluster.entity-max-idle must be a duration: an integer with a unit ns, "
     "us, ms, s, min or h, e.g. 500ms or 90s, got 90"},
    {"[cluster]\nshards-per-group = \"64\"\n",
     R"(cluster.shards-per-group must be an integer, got "64")"},
    {"[cluster]\nshards-per-group = 5000000000\n",
     "cluster.shards-per-group must be a 32-bit integer, got 5000000000"},
    {"[cluster]\nshard-groups = \"a\"\n",
     R"(cluster.shard-groups must be a list of strings, e.g. ["a", "b"], )"
     R"(got "a")"},
    {"[cluster]\nstorage = 'memory'\n",
     "cluster.storage must be a string (double-quoted in INI files), got "
     "'memory'"},
    {"[cluster]\nentity-max-idel = 90s\n",
     "unknown option cluster.entity-max-idel; known options of group "
     "cluster: shards-per-group, shard-groups, runner-address, "
     "runner-listen-address, runner-weight, entity-mailbox-capacity, "
     "max-resident-entities, entity-max-idle, "
     "entity-termination-timeout, lease-duration, lease-refresh-interval, "
     "refresh-assignments-interval, send-retry-interval, send-timeout, "
     "message-claim-timeout, "
     "storage, message-retention, message-retention-by-type, "
     "retention-sweep-interval, retention-batch-size, "
     "storage-synchronous-full, client-only, log-level, "
     "max-message-size, max-entity-id-length, max-connections, "
     "handshake-timeout, transport, max-clock-skew, tls.ca-file, "
     "tls.cert-file, "
     "tls.key-file, http-listen, http-token, http-token-file, http-anonymous, "
     "http-tls-certificate, http-tls-key"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.ini);
    auto x = read({}, c.ini);
    REQUIRE(!x);
    CHECK(has_code(x.error(), caf_cluster::errc::invalid_config));
    CHECK_EQ(message_of(x.error()), c.message);
  }
}

TEST_CASE("INI syntax errors are refused by parse with line and column") {
  cluster_config cfg;
  auto err = parse(cfg, {}, "[cluster]\nstorage = sqlite:/tmp/x.db\n");
  REQUIRE(err);
  CHECK_EQ(err.category(), caf::atom("parser"));
  CHECK_EQ(err.code(), static_cast<uint8_t>(caf::pec::unexpected_character));
  CHECK_NE(caf::to_string(err).find(R"("line" = 2)"), std::string::npos);
  cluster_config cfg2;
  err = parse(cfg2, {}, "[cluster]\nentity-max-idle = 1.5s\n");
  REQUIRE(err);
  CHECK_EQ(err.code(), static_cast<uint8_t>(caf::pec::fractional_timespan));
}

TEST_CASE("cfg.set works for declared options and is checked on read") {
  cluster_config cfg;
  cfg.set("cluster.shards-per-group", 64);
  cfg.set("cluster.lease-duration", caf::timespan{10s});
  auto x = cfg.sharding();
  REQUIRE(x);
  CHECK_EQ(x->shards_per_group, 64);
  CHECK(x->lease_duration == 10s);
  cfg.set("cluster.shards-per-group", "abc");
  x = cfg.sharding();
  REQUIRE(!x);
  CHECK_EQ(message_of(x.error()),
           R"(cluster.shards-per-group must be an integer, got "abc")");
}

TEST_CASE("declare_options works on any config and is idempotent") {
  caf::actor_system_config cfg;
  caf_cluster::declare_options(cfg);
  caf_cluster::declare_options(cfg);
  REQUIRE(!parse(cfg, {"--cluster.runner-weight=5"}));
  auto x = caf_cluster::read_sharding_config(cfg);
  REQUIRE(x);
  CHECK_EQ(x->runner_weight, 5);
}

TEST_CASE("cluster_config defaults scheduler.policy to sharing") {
  cluster_config cfg;
  REQUIRE(!parse(cfg, {}));
  CHECK_EQ(caf::get_or(cfg, "scheduler.policy", caf::atom("stealing")),
           caf::atom("sharing"));
  CHECK_EQ(caf::get_or(cfg, "middleman.workers", int64_t{-1}), 0);
  CHECK_EQ(caf::get_or(cfg, "scheduler.max-threads", size_t{0}),
           caf_cluster::default_worker_count());
  CHECK_EQ(caf_cluster::default_worker_count(),
           std::max(1u, std::thread::hardware_concurrency() / 2));
}

TEST_CASE("a flag or the INI file overrides scheduler.policy") {
  cluster_config cfg;
  REQUIRE(!parse(cfg, {"--scheduler.policy=stealing"}));
  CHECK_EQ(caf::get_or(cfg, "scheduler.policy", caf::atom("sharing")),
           caf::atom("stealing"));
  cluster_config cfg2;
  REQUIRE(!parse(cfg2, {}, "[scheduler]\npolicy = 'stealing'\n"));
  CHECK_EQ(caf::get_or(cfg2, "scheduler.policy", caf::atom("sharing")),
           caf::atom("stealing"));
}

TEST_CASE("cluster_config registers both error categories") {
  cluster_config cfg;
  auto cluster = cfg.error_renderers.find(caf_cluster::errc_category);
  REQUIRE(cluster != cfg.error_renderers.end());
  auto err = caf::make_error(caf_cluster::errc::invalid_config,
                             std::string{"cluster.x"});
  CHECK_EQ(cluster->second(err.code(), err.category(), err.context()),
           "cluster: invalid_config (cluster.x)");
  CHECK_EQ(cfg.error_renderers.count(caf::atom("storage")), 1u);
}

TEST_CASE("to_option_string picks the largest exact unit") {
  using caf_cluster::to_option_string;
  CHECK_EQ(to_option_string(0s), "0s");
  CHECK_EQ(to_option_string(2h), "2h");
  CHECK_EQ(to_option_string(90min), "90min");
  CHECK_EQ(to_option_string(90s), "90s");
  CHECK_EQ(to_option_string(1500ms), "1500ms");
  CHECK_EQ(to_option_string(-5s), "-5s");
  CHECK_EQ(to_option_string(100us), "100us");
  CHECK_EQ(to_option_string(1001ns), "1001ns");
}

} // TEST_SUITE

TEST_SUITE("caf_cluster.runner_address") {

using caf_cluster::parse_runner_address;
using caf_cluster::runner_address;

TEST_CASE("parses IPv4, host names and bracketed IPv6") {
  auto x = parse_runner_address("10.0.0.7:34001");
  REQUIRE(x);
  CHECK_EQ(x->host, "10.0.0.7");
  CHECK_EQ(x->port, 34001);
  x = parse_runner_address("runner-1.example.com:1");
  REQUIRE(x);
  CHECK_EQ(x->host, "runner-1.example.com");
  CHECK_EQ(x->port, 1);
  x = parse_runner_address("[::1]:80");
  REQUIRE(x);
  CHECK_EQ(x->host, "::1");
  CHECK_EQ(x->port, 80);
  x = parse_runner_address("[fe80::1%eth0]:65535");
  REQUIRE(x);
  CHECK_EQ(x->host, "fe80::1%eth0");
  CHECK_EQ(x->port, 65535);
}

TEST_CASE("to_string round-trips") {
  CHECK_EQ(to_string(runner_address{"10.0.0.7", 34001}), "10.0.0.7:34001");
  CHECK_EQ(to_string(runner_address{"::1", 80}), "[::1]:80");
  for (auto text : {"localhost:8080", "[::1]:80", "[2001:db8::2]:443"}) {
    auto x = parse_runner_address(text);
    REQUIRE(x);
    CHECK_EQ(to_string(*x), text);
  }
}

TEST_CASE("refuses malformed addresses with a message") {
  struct bad {
    std::string text;
    std::string why;
  };
  std::vector<bad> cases{
    {"localhost", "missing port"},
    {"localhost:", "missing port"},
    {"[::1]", "missing port"},
    {"[::1]80", "missing port"},
    {"localhost:0", "the port must be in 1..65535"},
    {"localhost:70000", "the port must be in 1..65535"},
    {"localhost:99999999999", "the port must be in 1..65535"},
    {"localhost:-1", "the port is not a decimal number"},
    {"localhost:8o", "the port is not a decimal number"},
    {":80", "empty host"},
    {"[]:80", "empty host"},
    {"", "the address is empty"},
    {"::1:80", "an IPv6 host must be in brackets, e.g. [::1]:80"},
    {"[::1:80", "missing ']' after the IPv6 host"},
    {"[localhost]:80", "brackets are only for IPv6 hosts"},
    {"my host:80", "the host contains whitespace or a control character"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto x = parse_runner_address(c.text);
    REQUIRE(!x);
    CHECK(has_code(x.error(), caf_cluster::errc::invalid_argument));
    CHECK_EQ(message_of(x.error()),
             "invalid runner address \"" + c.text + "\": " + c.why
               + "; expected host:port or [ipv6]:port");
  }
}

TEST_CASE("comparison") {
  runner_address a{"a", 2};
  runner_address b{"b", 1};
  CHECK(a == runner_address{"a", 2});
  CHECK(a != runner_address{"a", 3});
  CHECK(a < b);
  CHECK(!(b < a));
  CHECK(runner_address{"a", 1} < a);
}

TEST_CASE("inspect round-trips through CAF serialization") {
  runner_address x{"::1", 34001};
  // deep_to_string prefers to_string over inspect, so logs show host:port.
  CHECK_EQ(caf::deep_to_string(x), "[::1]:34001");
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE(!sink(x));
  runner_address y;
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE(!source(y));
  CHECK(x == y);
}

} // TEST_SUITE

TEST_CASE("durations too large for 64-bit nanoseconds are refused by name") {
  for (auto arg : {"--cluster.send-timeout=9999999999h",
                   "--cluster.send-timeout=99999999999999999999ns"}) {
    CAPTURE(std::string{arg});
    auto x = read({arg});
    REQUIRE(!x);
    CHECK(has_code(x.error(), caf_cluster::errc::invalid_config));
    auto text = std::string{arg}.substr(std::string{"--cluster.send-timeout="}.size());
    CHECK_EQ(message_of(x.error()),
             "cluster.send-timeout is too large: " + text
               + " does not fit in 64-bit nanoseconds (at most 2562047h)");
  }
  auto x = read({"--cluster.send-timeout=2562047h"});
  REQUIRE(!x);
  CHECK_EQ(message_of(x.error()),
           "cluster.send-timeout must be between 1ms and 24h, got 2562047h");
}

TEST_CASE("the tls options are a sub-group on the command line and in INI") {
  auto x = read({"--cluster.tls.ca-file=ca.pem",
                 "--cluster.tls.cert-file=node.pem",
                 "--cluster.tls.key-file=node.key"});
  REQUIRE(x);
  CHECK(x->tls_enabled());
  CHECK_EQ(x->tls_ca_file, "ca.pem");
  CHECK_EQ(x->tls_cert_file, "node.pem");
  CHECK_EQ(x->tls_key_file, "node.key");
  auto y = read({}, "[cluster.tls]\nca-file = \"a\"\ncert-file = \"b\"\n"
                    "key-file = \"c\"\n");
  REQUIRE(y);
  CHECK_EQ(y->tls_key_file, "c");
  auto z = read({}, "[cluster.tls]\nca-fil = \"a\"\n");
  REQUIRE(!z);
  CHECK_EQ(message_of(z.error()).substr(0, 37),
           "unknown option cluster.tls.ca-fil; kn");
  CHECK(!read({})->tls_enabled());
}
