// The dashboard's reader: one read serves everyone who asked meanwhile and
// everyone within the cache age, and errors are results like any other.
#include "caf_cluster/gateway/internal/cached_reader.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <vector>

#include "caf_cluster/errc.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::gateway::internal;

TEST_SUITE("gateway.cached_reader") {

  TEST_CASE("callers during a read share it; later ones get the cache") {
    std::atomic<int> reads{0};
    std::promise<void> release;
    auto gate = release.get_future().share();
    cached_reader reader{[&]() -> caf::expected<cluster_reading> {
                           ++reads;
                           gate.wait();
                           cluster_reading r;
                           r.read_at_ms = reads;
                           return r;
                         },
                         10s};
    std::mutex mtx;
    std::vector<cached_reader::result_ptr> got;
    std::promise<void> all_in;
    for (int i = 0; i < 10; ++i)
      reader.get([&](cached_reader::result_ptr x) {
        std::lock_guard<std::mutex> guard{mtx};
        got.push_back(x);
        if (got.size() == 10)
          all_in.set_value();
      });
    release.set_value();
    REQUIRE(all_in.get_future().wait_for(5s) == std::future_status::ready);
    CHECK(reads == 1);
    for (auto& x : got)
      CHECK(x == got.front());
    // A hit answers on the caller's thread at once.
    cached_reader::result_ptr hit;
    reader.get([&](cached_reader::result_ptr x) {
      hit = x;
    });
    CHECK(hit == got.front());
    CHECK(reads == 1);
  }

  TEST_CASE("an expired cache reads again; errors are results too") {
    std::atomic<int> reads{0};
    cached_reader reader{[&]() -> caf::expected<cluster_reading> {
                           ++reads;
                           return caf::make_error(errc::runner_unavailable,
                                                  "database down");
                         },
                         0ms};
    for (int i = 0; i < 2; ++i) {
      std::promise<bool> failed;
      reader.get([&](cached_reader::result_ptr x) {
        failed.set_value(!*x && x->error() == errc::runner_unavailable);
      });
      auto f = failed.get_future();
      REQUIRE(f.wait_for(5s) == std::future_status::ready);
      CHECK(f.get());
    }
    CHECK(reads == 2);
  }
}
