// The seed's order-processing workflow on caf-cluster: validate the order,
// charge the payment, ship it; when shipping fails, a compensation refunds
// the payment and the execution ends with a typed `order_error`. Clients
// (orders-cli) need the definition and the types; runners (orders-node)
// also the body, through `add_order_workflow`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"

#include "caf_cluster/fwd.hpp"
#include "caf_cluster/workflow/workflow.hpp"

namespace orders {

/// The payload: what the customer ordered.
struct order {
  /// The order id, also the workflow's idempotency key: placing the same
  /// order again joins its execution.
  std::string id;
  std::string customer;
  int64_t amount_cents = 0;
  std::vector<std::string> items;
  /// Makes the carrier refuse the parcel (to show the compensation).
  bool fail_shipping = false;
};

/// The result of a completed order.
struct receipt {
  std::string order_id;
  /// The Payment entity's id of the charge (`pay-<order>-1`).
  std::string payment_id;
  /// The carrier's tracking number.
  std::string tracking;
  int64_t amount_cents = 0;
};

/// The typed failure of an order.
struct order_error {
  /// `invalid`, `payment_failed` or `shipping_failed`.
  std::string code;
  /// What went wrong, in words.
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order& x) {
  return f(caf::meta::type_name("orders.order"), x.id, x.customer,
           x.amount_cents, x.items, x.fail_shipping);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, receipt& x) {
  return f(caf::meta::type_name("orders.receipt"), x.order_id, x.payment_id,
           x.tracking, x.amount_cents);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_error& x) {
  return f(caf::meta::type_name("orders.order_error"), x.code, x.message);
}

/// The workflow `OrderProcessing` in shard group `workflow`, keyed by order
/// id. Its runners list that group: `--cluster.shard-groups=default,workflow`.
inline const auto order_processing
  = caf_cluster::workflow::workflow<order, receipt, order_error>(
      "OrderProcessing")
      .idempotency_key([](const order& x) {
        return x.id;
      })
      .shard_group("workflow");

/// Adds the workflow's and the Payment and Shipping entities' types (every
/// process, before the actor system starts).
void add_order_types(caf::actor_system_config& cfg);

/// How a runner runs the activities.
struct activity_options {
  /// Each activity sleeps this long after its side effect and before it
  /// returns, so that a script can kill the runner mid-activity.
  int64_t delay_ms = 0;
  /// Prints a line per activity step (prefixed with the runner's address).
  bool verbose = true;
};

/// Registers the Payment and Shipping entities and the workflow's body on a
/// runner.
caf::error add_order_workflow(caf_cluster::sharding& cluster,
                              activity_options opts);

/// Renders an order's outcome in one line: `complete payment=... tracking=...`
/// or `failed shipping_failed: ...`.
std::string describe(const receipt& x);

/// Renders a typed failure in one line.
std::string describe(const order_error& x);

} // namespace orders
