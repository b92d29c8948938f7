// hostile-peer: what an outsider who reaches a runner's port can do. A plain
// CAF 0.17 program: no caf-cluster code, only the public type names and atom
// values the runners put on the wire, mirrored here. It connects to the
// runner's published router (no TLS) and sends one kind of message.
//
//   hostile-peer --port=P --mode=MODE [--host=H] [--id=ID] [--amount=N]
//                [--shards=N] [--id-bytes=N]
//
// Modes:
//   assign    a shard map (`cc_assign`) naming 127.0.0.1:1 the owner of all
//             `--shards` shards (default 300): before members-only control
//             messages, the runner routed every send there.
//   shutdown  the router's shutdown message (`cc_shutdn`).
//   exit      exit messages with `user_shutdown` and `kill`, sent with this
//             program's actor as sender and anonymously, and a stray error
//             message.
//   long-id   an increment for a counter whose id has `--id-bytes` bytes
//             (default 1048576), asked through the router.
//   entity    `increment{--amount}` for counter `--id`, asked through the
//             router (an entity message: accepted without TLS).
//
// Output: one line per message sent ("sent <what>") and per answer
// ("reply <value>", or "error <code> <category> <text>"). Exit code 0 once
// connected, 2 when the runner cannot be reached, 1 on bad arguments.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "caf/all.hpp"
#include "caf/io/all.hpp"

namespace {

// The send identity (caf_cluster.delivery).
struct delivery {
  int64_t request_id = 0;
  uint64_t origin = 0;
  int64_t deliver_at_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery& x) {
  return f(caf::meta::type_name("caf_cluster.delivery"), x.request_id, x.origin,
           x.deliver_at_ms);
}

// A send to an entity (caf_cluster.entity_send).
struct entity_send {
  std::string entity_type;
  std::string entity_id;
  std::string shard_group = "default";
  int32_t shard_index = 0;
  caf::message payload;
  caf::timespan timeout = std::chrono::seconds{5};
  delivery meta;
  bool may_reroute = true;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entity_send& x) {
  return f(caf::meta::type_name("caf_cluster.entity_send"), x.entity_type,
           x.entity_id, x.shard_group, x.shard_index, x.payload, x.timeout,
           x.meta, x.may_reroute);
}

// The counter sample's increment (counter.increment).
struct increment {
  int64_t amount = 0;
  std::string key;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, increment& x) {
  return f(caf::meta::type_name("counter.increment"), x.amount, x.key);
}

struct config : caf::actor_system_config {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string mode;
  std::string id = "hostile";
  int64_t amount = 1000000;
  int32_t shards = 300;
  size_t id_bytes = 1048576;

  config() {
    load<caf::io::middleman>();
    add_message_type<delivery>("caf_cluster.delivery");
    add_message_type<entity_send>("caf_cluster.entity_send");
    add_message_type<increment>("counter.increment");
    opt_group{custom_options_, "global"}
      .add(host, "host", "runner host")
      .add(port, "port", "runner port")
      .add(mode, "mode", "assign|shutdown|exit|long-id|entity")
      .add(id, "id", "counter id (entity)")
      .add(amount, "amount", "increment (entity)")
      .add(shards, "shards", "shards to claim (assign)")
      .add(id_bytes, "id-bytes", "id length (long-id)");
  }
};

const auto deliver_atom = caf::atom("cc_deliver");

// Connects without an interface check: the router is a typed actor.
caf::actor connect(caf::scoped_actor& self, const config& cfg) {
  caf::actor result;
  self
    ->request(self->system().middleman().actor_handle(),
              std::chrono::seconds{5}, caf::connect_atom::value, cfg.host,
              cfg.port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>&) {
        result = caf::actor_cast<caf::actor>(ptr);
      },
      [&](caf::error& err) {
        std::cout << "cannot connect: " << caf::to_string(err) << std::endl;
      });
  return result;
}

void ask(caf::scoped_actor& self, const caf::actor& router, entity_send x) {
  self->request(router, std::chrono::seconds{10}, deliver_atom, std::move(x))
    .receive(
      [](int64_t value) {
        std::cout << "reply " << value << std::endl;
      },
      [](caf::error& err) {
        std::cout << "error " << static_cast<int>(err.code()) << ' '
                  << caf::to_string(err.category()) << ' '
                  << caf::to_string(err) << std::endl;
      });
}

entity_send counter_send(std::string id, int64_t amount) {
  entity_send x;
  x.entity_type = "Counter";
  x.entity_id = std::move(id);
  // A send identity of its own (persisted messages are kept once per key).
  x.meta.request_id
    = std::chrono::system_clock::now().time_since_epoch().count()
    & 0x3FFFFFFFFFFFFFFF;
  x.meta.origin = std::random_device{}();
  x.payload = caf::make_message(increment{amount, {}});
  return x;
}

int run(caf::actor_system& sys, const config& cfg) {
  caf::scoped_actor self{sys};
  auto router = connect(self, cfg);
  if (!router)
    return 2;
  if (cfg.mode == "assign") {
    std::vector<std::string> owners(static_cast<size_t>(cfg.shards),
                                    "127.0.0.1:1");
    self->send(router, caf::atom("cc_assign"), std::string{"default"},
               std::move(owners), int32_t{1});
    std::cout << "sent cc_assign" << std::endl;
  } else if (cfg.mode == "shutdown") {
    self->send(router, caf::atom("cc_shutdn"));
    caf::anon_send(router, caf::atom("cc_shutdn"));
    std::cout << "sent cc_shutdn" << std::endl;
  } else if (cfg.mode == "exit") {
    for (auto reason :
         {caf::exit_reason::user_shutdown, caf::exit_reason::kill}) {
      self->send_exit(router, reason);
      caf::anon_send_exit(router, reason);
    }
    self->send(router, caf::make_error(caf::sec::runtime_error));
    std::cout << "sent exit" << std::endl;
  } else if (cfg.mode == "long-id") {
    ask(self, router, counter_send(std::string(cfg.id_bytes, 'x'), 1));
  } else if (cfg.mode == "entity") {
    ask(self, router, counter_send(cfg.id, cfg.amount));
  } else {
    std::cout << "unknown mode '" << cfg.mode << "'" << std::endl;
    return 1;
  }
  // Sends are asynchronous: give the last ones time to leave.
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "hostile-peer: " << caf::to_string(err) << std::endl;
    return 1;
  }
  caf::actor_system sys{cfg};
  return run(sys, cfg);
}
