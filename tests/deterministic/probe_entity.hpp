// A test entity that exercises every path of the entity manager: state,
// errors of its own category, exceptions, asynchronous replies, quitting.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_response_promise.hpp"

#include "caf_cluster/entity.hpp"
#include "caf_cluster/entity_context.hpp"

namespace probe {

/// Errors of the probe entity's own category.
enum class probe_errc : uint8_t { negative = 1, refused = 2 };

} // namespace probe

CAF_ERROR_CODE_ENUM(probe::probe_errc, "probe")

namespace probe {

struct add {
  int64_t amount = 0;
};
struct get_value {};
struct fail_with {
  probe_errc code = probe_errc::negative;
};
struct crash {};
struct work {
  int64_t n = 0;
};
struct whoami {};
struct quit_now {};
struct hang {};
/// Adds `amount` to entity `to` through the cluster; replies with its value.
struct relay {
  std::string to;
  int64_t amount = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add& x) {
  return f(caf::meta::type_name("probe.add"), x.amount);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_value&) {
  return f(caf::meta::type_name("probe.get_value"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fail_with& x) {
  return f(caf::meta::type_name("probe.fail_with"), x.code);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, crash&) {
  return f(caf::meta::type_name("probe.crash"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, work& x) {
  return f(caf::meta::type_name("probe.work"), x.n);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, whoami&) {
  return f(caf::meta::type_name("probe.whoami"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay& x) {
  return f(caf::meta::type_name("probe.relay"), x.to, x.amount);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hang&) {
  return f(caf::meta::type_name("probe.hang"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quit_now&) {
  return f(caf::meta::type_name("probe.quit_now"));
}

using probe_actor = caf::typed_actor<
  caf::replies_to<add>::with<int64_t>, caf::replies_to<get_value>::with<int64_t>,
  caf::replies_to<fail_with>::with<int64_t>,
  caf::replies_to<crash>::with<int64_t>, caf::replies_to<work>::with<int64_t>,
  caf::replies_to<whoami>::with<std::string>, caf::reacts_to<quit_now>,
  caf::replies_to<hang>::with<int64_t>, caf::replies_to<relay>::with<int64_t>>;

struct probe_state {
  int64_t value = 0;
  static inline const char* name = "probe";
};

/// Where `work` messages log "start n" / "end n", and the actor they ask.
struct work_log {
  std::vector<std::string> events;
  caf::actor echo;
  /// Replies of `hang` messages; a test may deliver them to let go.
  std::vector<caf::typed_response_promise<int64_t>> held;
};

/// The log shared by the tests of one process (reset per test).
work_log& log();

probe_actor::behavior_type probe_impl(probe_actor::stateful_pointer<probe_state> self,
                                      caf_cluster::entity_context ctx);

inline const auto probe_entity = caf_cluster::entity<probe_actor>("Probe");

} // namespace probe
