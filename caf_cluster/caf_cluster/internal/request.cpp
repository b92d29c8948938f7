#include "caf_cluster/internal/request.hpp"

#include "caf/detail/behavior_impl.hpp"
#include "caf/detail/invoke_result_visitor.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/make_counted.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/sec.hpp"

namespace caf_cluster::internal {

namespace {

// Relies on CAF 0.17's behavior_impl extension point: the scheduler asks the
// behavior to invoke a type-erased tuple and treats a visited result as handled
// (without calling the visitor it would retry with `unexpected_response`).
class any_response_impl final : public caf::detail::behavior_impl {
public:
  explicit any_response_impl(any_reply_handler f) : f_(std::move(f)) {
    // nop
  }

  caf::match_case::result invoke(caf::detail::invoke_result_visitor& visitor,
                                 caf::type_erased_tuple& xs) override {
    auto msg = caf::message::copy(xs);
    f_(msg);
    visitor();
    return caf::match_case::match;
  }

private:
  any_reply_handler f_;
};

} // namespace

caf::message_id request_any(caf::scheduled_actor* self,
                            const caf::strong_actor_ptr& dest, caf::message msg,
                            any_reply_handler f) {
  auto mid = self->new_request_id(caf::message_priority::normal);
  if (dest) {
    dest->enqueue(caf::make_mailbox_element(self->ctrl(), mid, {},
                                            std::move(msg)),
                  self->context());
  } else {
    // Answered like a request to a dead actor, so no caller ever waits.
    self->enqueue(caf::make_mailbox_element(
                    nullptr, mid.response_id(), {},
                    caf::make_error(caf::sec::request_receiver_down)),
                  self->context());
  }
  self->add_multiplexed_response_handler(
    mid.response_id(),
    caf::behavior{caf::behavior::impl_ptr{
      caf::make_counted<any_response_impl>(std::move(f))}});
  return mid;
}

} // namespace caf_cluster::internal
