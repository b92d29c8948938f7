#include "ledger.hpp"

#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

namespace orders {

payment_actor::behavior_type
payment_impl(payment_actor::stateful_pointer<ledger> self,
             caf_cluster::entity_context) {
  return {
    [=](const charge& x) {
      auto& st = self->state;
      ++st.charges;
      st.charged_cents += x.amount_cents;
      return "pay-" + x.order_id + "-" + std::to_string(st.charges);
    },
    [=](const refund& x) {
      auto& st = self->state;
      ++st.refunds;
      st.refunded_cents += x.amount_cents;
      return st.refunds;
    },
    [=](get_ledger) {
      return self->state;
    },
  };
}

shipping_actor::behavior_type
shipping_impl(shipping_actor::stateful_pointer<shipping_state> self,
              caf_cluster::entity_context) {
  return {
    [=](const ship& x) {
      auto& st = self->state;
      if (x.refuse) {
        ++st.refused;
        return shipment{false, "the carrier refused the parcel"};
      }
      ++st.shipped;
      return shipment{true, "trk-" + x.order_id};
    },
  };
}

} // namespace orders
