// A fixture with the probe entity's helpers in place (the echo actor that
// `work` asks) plus the reply accessors every deterministic test uses.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <optional>

#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "deterministic/probe_entity.hpp"
#include "deterministic/test_fixture.hpp"

namespace caf_cluster::testing {

/// A runner with the probe's echo actor; registers nothing by itself.
struct probe_fixture_base : fixture {
  explicit probe_fixture_base(sharding_config cfg = {}) : fixture(std::move(cfg)) {
    probe::log() = {};
    probe::log().echo = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
      return {[](int64_t x) { return x; }};
    });
    run();
  }

  ~probe_fixture_base() {
    caf::anon_send_exit(probe::log().echo, caf::exit_reason::user_shutdown);
    probe::log().echo = nullptr;
  }
};

/// A reply slot as filled by `fixture::request`.
template <class T>
using reply_slot = std::shared_ptr<std::optional<caf::expected<T>>>;

/// Returns the value of a successful reply (fails the test otherwise).
template <class T>
T value_of(const reply_slot<T>& slot) {
  REQUIRE(slot->has_value());
  auto& result = **slot;
  REQUIRE_MESSAGE(result, render(result.error()));
  return *result;
}

/// Returns the error of a failed reply (fails the test otherwise).
template <class T>
caf::error error_of(const reply_slot<T>& slot) {
  REQUIRE(slot->has_value());
  REQUIRE_FALSE(**slot);
  return (**slot).error();
}

} // namespace caf_cluster::testing
