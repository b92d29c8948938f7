// orders-cli: a client-only node of the order-processing sample.
//
//   orders-cli --storage sqlite:/tmp/o.db place <order-id> <amount-cents>
//              [--fail-shipping] [--customer NAME] [--items A,B]
//              [--detach] [--timeout-ms N]
//   orders-cli --storage sqlite:/tmp/o.db status <order-id>
//   orders-cli --storage sqlite:/tmp/o.db ledger <order-id>
//   orders-cli --storage sqlite:/tmp/o.db execution-id <order-id>
//
// `place` runs the OrderProcessing workflow and waits for its outcome (placing
// the same order id again joins the same execution); `--detach` only starts
// it and prints its execution id. `status` polls the execution, `ledger`
// asks the Payment entity of the order what it recorded.
//
// Output, one line: `order o-1: complete payment=pay-o-1-1 tracking=trk-o-1
// amount_cents=4200`, `order o-1: failed shipping_failed: ...`, `order o-1:
// running`, `order o-1: charges=1 refunds=0 charged_cents=4200
// refunded_cents=0`.
// Exit codes: 0 success, 1 the cluster failed (one line on stderr), 2 usage,
// 3 the order failed (its typed error printed on stdout).
#include <charconv>
#include <chrono>
#include <iostream>
#include <sstream>
#include <string>

#include "caf/actor_system.hpp"

#include "caf_cluster/entity_client.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/node/run_node.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/workflow/client.hpp"
#include "caf_cluster/workflow/engine.hpp"
#include "caf_cluster/workflow/status.hpp"

#include "ledger.hpp"
#include "order_workflow.hpp"

namespace {

namespace wf = caf_cluster::workflow;

constexpr const char* usage = "place ID AMOUNT_CENTS | status ID | ledger ID "
                              "| execution-id ID";

constexpr int exit_order_failed = 3;

caf::error bad(std::string what) {
  return caf::make_error(caf_cluster::errc::invalid_argument, std::move(what));
}

caf::expected<int64_t> parse_int(const std::string& flag,
                                 const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(),
                                   value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return bad(flag + ": not an integer: '" + text + "'");
  return value;
}

caf::error check(const caf_cluster::node_args& args) {
  auto& pos = args.positional;
  if (pos.empty())
    return bad(std::string{"missing command; usage: "} + usage);
  auto& command = pos[0];
  if (command == "place") {
    if (pos.size() != 3)
      return bad("usage: place ID AMOUNT_CENTS");
    if (auto amount = parse_int("AMOUNT_CENTS", pos[2]); !amount)
      return std::move(amount.error());
    if (args.has("timeout-ms")) {
      auto t = parse_int("--timeout-ms", args.get("timeout-ms"));
      if (!t)
        return std::move(t.error());
      if (*t <= 0)
        return bad("--timeout-ms must be positive");
    }
    return caf::none;
  }
  if (command != "status" && command != "ledger" && command != "execution-id")
    return bad("unknown command '" + command + "'; usage: " + usage);
  if (pos.size() != 2)
    return bad("usage: " + command + " ID");
  return caf::none;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in{text};
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      result.push_back(item);
  return result;
}

orders::order order_of(const caf_cluster::node_args& args) {
  orders::order result;
  result.id = args.positional[1];
  if (args.positional.size() > 2)
    result.amount_cents = *parse_int("", args.positional[2]);
  result.customer = args.get("customer", "alice");
  result.items = split(args.get("items", "widget"));
  result.fail_shipping = args.has("fail-shipping");
  return result;
}

// Prints an outcome; returns the exit code.
int print(const std::string& id,
          const wf::outcome<orders::receipt, orders::order_error>& x) {
  if (x.ok()) {
    std::cout << "order " << id << ": " << orders::describe(x.value())
              << std::endl;
    return caf_cluster::node_exit_ok;
  }
  std::cout << "order " << id << ": " << orders::describe(x.error())
            << std::endl;
  return exit_order_failed;
}

int fail(caf::actor_system& sys, const caf::error& err) {
  std::cerr << "orders-cli: " << sys.render(err) << std::endl;
  return caf_cluster::node_exit_failure;
}

int run(caf_cluster::sharding& cluster, const caf_cluster::node_args& args) {
  auto& sys = cluster.system();
  auto& command = args.positional[0];
  auto o = order_of(args);
  wf::engine engine{cluster};
  auto client = engine.make_client(orders::order_processing);
  auto timeout = std::chrono::milliseconds{
    args.has("timeout-ms") ? *parse_int("", args.get("timeout-ms")) : 30'000};
  if (command == "execution-id") {
    std::cout << client.execution_id(o) << std::endl;
    return caf_cluster::node_exit_ok;
  }
  if (command == "ledger") {
    auto payment = cluster.make_client(orders::payment_entity);
    auto l = payment.ask(o.id, orders::get_ledger{}, timeout);
    if (!l)
      return fail(sys, l.error());
    std::cout << "order " << o.id << ": charges=" << l->charges
              << " refunds=" << l->refunds
              << " charged_cents=" << l->charged_cents
              << " refunded_cents=" << l->refunded_cents << std::endl;
    return caf_cluster::node_exit_ok;
  }
  if (command == "status") {
    auto p = client.poll(client.execution_id(o), timeout);
    if (!p)
      return fail(sys, p.error());
    if (p->result)
      return print(o.id, *p->result);
    std::cout << "order " << o.id << ": " << wf::to_string(p->status);
    if (p->cause)
      std::cout << " (" << sys.render(p->cause) << ")";
    std::cout << std::endl;
    return caf_cluster::node_exit_ok;
  }
  // place
  if (args.has("detach")) {
    auto id = client.start(o, timeout);
    if (!id)
      return fail(sys, id.error());
    std::cout << "order " << o.id << ": started execution " << *id << std::endl;
    return caf_cluster::node_exit_ok;
  }
  auto result = client.execute(o, timeout);
  if (!result)
    return fail(sys, result.error());
  return print(o.id, *result);
}

} // namespace

int main(int argc, char** argv) {
  caf_cluster::node_program program;
  program.name = "orders-cli";
  program.summary = "A client-only node of the order-processing sample: "
                    "places an order (runs the OrderProcessing workflow), "
                    "polls it, or reads its payment ledger.";
  program.positional_usage = usage;
  program.flags = {
    {"fail-shipping", "",
     "place: the carrier refuses the parcel (the "
     "compensation refunds the payment)"},
    {"customer", "NAME", "place: the customer (default alice)"},
    {"items", "A,B", "place: the items, comma-separated (default widget)"},
    {"detach", "",
     "place: start the execution and print its id, do not "
     "wait"},
    {"timeout-ms", "N", "how long to wait for the cluster (default 30000)"},
  };
  program.client_only = true;
  program.configure = orders::add_order_types;
  program.check = check;
  program.run = run;
  return caf_cluster::run_node(argc, argv, program);
}
