// Must not compile: the blocking ask of a message the entity's interface does
// not declare. The error must be the client's static_assert alone.
#include <cstdint>
#include <string>

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"

#include "caf_cluster/entity_client.hpp"

using counter_actor = caf::typed_actor<caf::replies_to<int64_t>::with<int64_t>>;

void ask_with_a_string(const caf_cluster::entity_client<counter_actor>& c) {
  auto x = c.ask("a", std::string{"not a counter message"});
  static_cast<void>(x);
}
