// The entities behind the order workflow's activities: `Payment`, a ledger
// per order id that counts charges and refunds, and `Shipping`, a carrier per
// order id. Their messages are persisted with a key per order id, so an
// activity that runs again after a crash sends the same key and the ledger
// still counts one charge: the proof of "charged exactly once".
#pragma once

#include <cstdint>
#include <string>

#include "caf/fwd.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/entity_types.hpp"

namespace orders {

// -- Payment ------------------------------------------------------------------

/// Charges `amount_cents` for order `order_id`; replies with the payment id.
/// Counted once per order however often it is sent (key `charge/<order>`).
struct charge {
  std::string order_id;
  int64_t amount_cents = 0;

  /// The deduplication key: one charge per order.
  std::string primary_key() const {
    return "charge/" + order_id;
  }
};

/// Refunds `amount_cents` of order `order_id`; replies with the refunds
/// counted so far. Once per order (key `refund/<order>`).
struct refund {
  std::string order_id;
  int64_t amount_cents = 0;

  /// The deduplication key: one refund per order.
  std::string primary_key() const {
    return "refund/" + order_id;
  }
};

/// Replies with the ledger of the order.
struct get_ledger {};

/// What the Payment entity of one order has recorded.
struct ledger {
  /// Charges processed (1 after a successful order, whatever crashed).
  int64_t charges = 0;
  /// Refunds processed (1 after an order whose shipping failed).
  int64_t refunds = 0;
  /// Sum of the charges.
  int64_t charged_cents = 0;
  /// Sum of the refunds.
  int64_t refunded_cents = 0;
  /// Actor name shown by CAF.
  static inline const char* name = "orders.payment";
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, charge& x) {
  return f(caf::meta::type_name("orders.charge"), x.order_id, x.amount_cents);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, refund& x) {
  return f(caf::meta::type_name("orders.refund"), x.order_id, x.amount_cents);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_ledger&) {
  return f(caf::meta::type_name("orders.get_ledger"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger& x) {
  return f(caf::meta::type_name("orders.ledger"), x.charges, x.refunds,
           x.charged_cents, x.refunded_cents);
}

/// The Payment protocol.
using payment_actor
  = caf::typed_actor<caf::replies_to<charge>::with<std::string>,
                     caf::replies_to<refund>::with<int64_t>,
                     caf::replies_to<get_ledger>::with<ledger>>;

/// The Payment entity: one per order id, its ledger durable, charges and
/// refunds persisted and keyed by order id.
inline const auto payment_entity = caf_cluster::entity<payment_actor>("Payment")
                                     .persisted<charge, refund>()
                                     .durable_state<ledger>();

/// The Payment behaviour.
payment_actor::behavior_type
payment_impl(payment_actor::stateful_pointer<ledger> self,
             caf_cluster::entity_context ctx);

// -- Shipping -----------------------------------------------------------------

/// Ships order `order_id`; `refuse` makes the carrier refuse it (the
/// sample's way to make shipping fail). Once per order (key `ship/<order>`).
struct ship {
  std::string order_id;
  bool refuse = false;

  /// The deduplication key: one shipment per order.
  std::string primary_key() const {
    return "ship/" + order_id;
  }
};

/// The carrier's answer: a tracking number, or why it refused.
struct shipment {
  /// Whether the carrier took the parcel.
  bool shipped = false;
  /// Tracking number when shipped, the reason otherwise.
  std::string text;
};

/// Shipments of one order.
struct shipping_state {
  /// Parcels taken (at most 1 per order).
  int64_t shipped = 0;
  /// Refusals.
  int64_t refused = 0;
  /// Actor name shown by CAF.
  static inline const char* name = "orders.shipping";
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ship& x) {
  return f(caf::meta::type_name("orders.ship"), x.order_id, x.refuse);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shipment& x) {
  return f(caf::meta::type_name("orders.shipment"), x.shipped, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shipping_state& x) {
  return f(caf::meta::type_name("orders.shipping_state"), x.shipped, x.refused);
}

/// The Shipping protocol.
using shipping_actor = caf::typed_actor<caf::replies_to<ship>::with<shipment>>;

/// The Shipping entity: one per order id.
inline const auto shipping_entity
  = caf_cluster::entity<shipping_actor>("Shipping")
      .persisted<ship>()
      .durable_state<shipping_state>();

/// The Shipping behaviour.
shipping_actor::behavior_type
shipping_impl(shipping_actor::stateful_pointer<shipping_state> self,
              caf_cluster::entity_context ctx);

/// Adds the message and state types of both entities (every process).
inline void add_ledger_types(caf::actor_system_config& cfg) {
  caf_cluster::add_entity_types(cfg, payment_entity);
  caf_cluster::add_entity_types(cfg, shipping_entity);
}

} // namespace orders
