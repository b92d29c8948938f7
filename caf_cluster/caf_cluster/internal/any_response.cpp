#include "caf_cluster/internal/any_response.hpp"

#include "caf/detail/behavior_impl.hpp"
#include "caf/detail/invoke_result_visitor.hpp"
#include "caf/make_counted.hpp"
#include "caf/message.hpp"

namespace caf_cluster::internal {

namespace {

// Relies on CAF 0.17's behavior_impl extension point: the scheduler asks the
// behavior to invoke a type-erased tuple and treats a visited result as handled
// (without calling the visitor it would retry with `unexpected_response`).
class any_response_impl final : public caf::detail::behavior_impl {
public:
  explicit any_response_impl(std::function<void(caf::message&)> f)
    : f_(std::move(f)) {
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
  std::function<void(caf::message&)> f_;
};

} // namespace

caf::behavior any_response(std::function<void(caf::message&)> f) {
  return caf::behavior{caf::behavior::impl_ptr{
    caf::make_counted<any_response_impl>(std::move(f))}};
}

} // namespace caf_cluster::internal
