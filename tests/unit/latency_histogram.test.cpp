// The latency histogram feeds Prometheus histograms: its buckets must follow
// the format's "less than or equal" rule exactly at the bounds, stay
// cumulative, and never show a bucket above the count, also while threads
// record into it.
#include "caf_cluster/latency_histogram.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using caf_cluster::histogram_snapshot;
using caf_cluster::latency_histogram;

TEST_SUITE("unit.latency_histogram") {

  TEST_CASE("an empty histogram has 14 zero buckets, count and sum") {
    latency_histogram h;
    auto s = h.snapshot();
    REQUIRE(s.bounds.size() == 14);
    CHECK(s.bounds.front() == 0.0005);
    CHECK(s.bounds.back() == 10.0);
    CHECK(s.cumulative == std::vector<uint64_t>(14, 0));
    CHECK(s.count == 0);
    CHECK(s.sum == 0.0);
  }

  TEST_CASE("a value on a bound counts in that bound's bucket (le)") {
    latency_histogram h;
    h.observe(500us);  // exactly 0.0005 s
    h.observe(501us);  // just above: the 1 ms bucket
    h.observe(10s);    // the last bound
    h.observe(11s);    // only +Inf
    h.observe(-5ms);   // clamped to zero: the first bucket
    auto s = h.snapshot();
    CHECK(s.cumulative[0] == 2);
    CHECK(s.cumulative[1] == 3);
    CHECK(s.cumulative[12] == 3);
    CHECK(s.cumulative[13] == 4);
    CHECK(s.count == 5);
    CHECK(s.sum == doctest::Approx(0.0005 + 0.000501 + 10 + 11));
  }

  TEST_CASE("buckets are cumulative") {
    latency_histogram h;
    for (std::chrono::nanoseconds d : {2ms, 3ms, 20ms, 200ms, 2000ms, 200ms})
      h.observe(d);
    auto s = h.snapshot();
    for (size_t i = 1; i < s.cumulative.size(); ++i)
      CHECK(s.cumulative[i] >= s.cumulative[i - 1]);
    // 2 ms and 3 ms fall into le=0.0025 and le=0.005.
    CHECK(s.cumulative[2] == 1);
    CHECK(s.cumulative[3] == 2);
    CHECK(s.cumulative[13] == 6);
  }

  TEST_CASE("snapshots taken while 4 threads record stay consistent") {
    latency_histogram h;
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t)
      writers.emplace_back([&h, t] {
        for (int i = 0; i < 20000; ++i)
          h.observe(std::chrono::microseconds{(i * 37 + t * 101) % 20000});
      });
    int checked = 0;
    bool consistent = true;
    while (checked < 2000) {
      auto s = h.snapshot();
      for (size_t i = 0; i < s.cumulative.size(); ++i)
        if (s.cumulative[i] > s.count
            || (i > 0 && s.cumulative[i] < s.cumulative[i - 1]))
          consistent = false;
      ++checked;
    }
    for (auto& w : writers)
      w.join();
    CHECK(consistent);
    auto s = h.snapshot();
    CHECK(s.count == 80000);
  }
}
