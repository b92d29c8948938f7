#include "order_workflow.hpp"

#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "caf/actor_system_config.hpp"

#include "caf_cluster/entity_client.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/workflow/context.hpp"
#include "caf_cluster/workflow/engine.hpp"
#include "caf_cluster/workflow/outcome.hpp"
#include "caf_cluster/workflow/retry_policy.hpp"

#include "ledger.hpp"

namespace orders {

namespace {

namespace wf = caf_cluster::workflow;

using order_outcome = wf::outcome<receipt, order_error>;

constexpr auto ask_timeout = std::chrono::seconds{10};

// One line per activity step; activities of several orders may print at once.
void say(const std::string& runner, const std::string& what) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> guard{mtx};
  std::cout << "[" << runner << "] " << what << std::endl;
}

// What the body needs besides its context and payload.
struct order_services {
  std::string runner;
  caf_cluster::entity_client<payment_actor> payment;
  caf_cluster::entity_client<shipping_actor> shipping;
  activity_options opts;

  void log(const order& o, const std::string& what) const {
    if (opts.verbose)
      say(runner, "order " + o.id + ": " + what);
  }

  // The slow part of an activity, after its side effect: a runner killed now
  // has done the work but not recorded it, so the activity runs again on the
  // next owner (and the keyed message makes that harmless).
  void linger() const {
    if (opts.delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{opts.delay_ms});
  }
};

std::string attempt_text(const wf::activity_attempt& a) {
  return a.name + " attempt " + std::to_string(a.attempt);
}

// The seed's order processing as straight-line code: every `activity` runs
// once per execution (its result is journaled), however often the body is
// replayed or whichever runner replays it.
order_outcome process(wf::context& ctx, const order& o,
                      const order_services& svc) {
  auto problem = ctx.activity("validate", [&](const wf::activity_attempt& a) {
    svc.log(o, attempt_text(a) + " started");
    std::string result;
    if (o.amount_cents <= 0)
      result = "amount must be positive";
    else if (o.items.empty())
      result = "no items";
    svc.linger();
    return result;
  });
  if (!problem)
    return wf::fail(order_error{"invalid", to_string(problem.error())});
  if (!problem->empty())
    return wf::fail(order_error{"invalid", *problem});
  auto payment_id = ctx.activity(
    "charge",
    [&](const wf::activity_attempt& a) -> caf::expected<std::string> {
      svc.log(o, attempt_text(a) + " started");
      auto id = svc.payment.ask(o.id, charge{o.id, o.amount_cents},
                                ask_timeout);
      if (!id)
        return std::move(id.error());
      svc.log(o,
              "charged " + std::to_string(o.amount_cents) + " cents, " + *id);
      svc.linger();
      return std::move(*id);
    },
    wf::retry_policy{3, std::chrono::milliseconds{200}});
  if (!payment_id)
    return wf::fail(
      order_error{"payment_failed", to_string(payment_id.error())});
  // From here on a failure of the order gives the money back. The
  // compensation runs after the body returned (maybe in a later advance):
  // it keeps a copy of the order, not a reference to the payload.
  ctx.compensate("refund", [o, &svc] {
    auto refunds = svc.payment.ask(o.id, refund{o.id, o.amount_cents},
                                   ask_timeout);
    if (!refunds)
      throw std::runtime_error("refund failed: " + to_string(refunds.error()));
    svc.log(
      o, "compensation: refunded " + std::to_string(o.amount_cents) + " cents");
  });
  auto parcel = ctx.activity(
    "ship", [&](const wf::activity_attempt& a) -> caf::expected<shipment> {
      svc.log(o, attempt_text(a) + " started");
      auto result = svc.shipping.ask(o.id, ship{o.id, o.fail_shipping},
                                     ask_timeout);
      if (!result)
        return std::move(result.error());
      svc.log(o,
              result->shipped ? "shipped, " + result->text
                              : "shipping refused: " + result->text);
      svc.linger();
      return std::move(*result);
    });
  if (!parcel)
    return wf::fail(order_error{"shipping_failed", to_string(parcel.error())});
  if (!parcel->shipped)
    return wf::fail(order_error{"shipping_failed", parcel->text});
  return receipt{o.id, *payment_id, parcel->text, o.amount_cents};
}

} // namespace

void add_order_types(caf::actor_system_config& cfg) {
  add_ledger_types(cfg);
  wf::add_workflow_types(cfg, order_processing);
}

caf::error add_order_workflow(caf_cluster::sharding& cluster,
                              activity_options opts) {
  if (auto err = cluster.register_entity(payment_entity, payment_impl))
    return err;
  if (auto err = cluster.register_entity(shipping_entity, shipping_impl))
    return err;
  auto svc = std::make_shared<order_services>(order_services{
    cluster.config().runner_address, cluster.make_client(payment_entity),
    cluster.make_client(shipping_entity), opts});
  wf::engine engine{cluster};
  return engine.add(order_processing, [svc](wf::context& ctx, const order& o) {
    return process(ctx, o, *svc);
  });
}

std::string describe(const receipt& x) {
  return "complete payment=" + x.payment_id + " tracking=" + x.tracking
    + " amount_cents=" + std::to_string(x.amount_cents);
}

std::string describe(const order_error& x) {
  return "failed " + x.code + ": " + x.message;
}

} // namespace orders
