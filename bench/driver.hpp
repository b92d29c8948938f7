// Load generation from event-based actors: a driver keeps a fixed window of
// requests in flight and sends the next one from a reply handler, never
// blocking a CAF worker. Main waits for the drivers through futures.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/system_messages.hpp"
#include "caf/error.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/stateful_actor.hpp"

namespace bench {

using bench_clock = std::chrono::steady_clock;

/// What one driver does: requests `first`, `first + stride`, ... (`count` of
/// them), at most `window` at a time.
struct driver_plan {
  /// Index of the first request.
  int64_t first = 0;
  /// Distance between this driver's request indexes.
  int64_t stride = 1;
  /// Requests to send.
  int64_t count = 0;
  /// Requests in flight at most.
  int64_t window = 1;
  /// Record the latency of every request.
  bool record_latency = false;
};

/// Outcome of one or several drivers.
struct driver_result {
  /// Replies received (values and errors).
  int64_t completed = 0;
  /// Error replies among them.
  int64_t errors = 0;
  /// The first error, rendered.
  std::string first_error;
  /// Per-request latency in nanoseconds, when recorded.
  std::vector<int64_t> latencies_ns;
  /// Wall time from spawning the drivers until the last one finished.
  double seconds = 0;
};

/// State of a driver whose requests `Send` issues. `Send` is called as
/// `send(self, index, done)` and must make `done(const caf::error&)` run in
/// the reply (or error) handler of request `index`.
template <class Send>
struct driver_state {
  static inline const char* name = "bench.driver";
  std::optional<Send> send;
  driver_plan plan;
  int64_t sent = 0;
  driver_result result;
  std::shared_ptr<std::promise<driver_result>> done;
};

template <class Send>
using driver_actor = caf::stateful_actor<driver_state<Send>>;

template <class Send>
void issue_next(driver_actor<Send>* self);

template <class Send>
void on_done(driver_actor<Send>* self, bench_clock::time_point sent_at,
             const caf::error& err) {
  auto& st = self->state;
  auto& res = st.result;
  if (st.plan.record_latency)
    res.latencies_ns.push_back(
      std::chrono::duration_cast<std::chrono::nanoseconds>(bench_clock::now()
                                                           - sent_at)
        .count());
  if (err) {
    if (res.errors++ == 0)
      res.first_error = to_string(err);
  }
  ++res.completed;
  if (st.sent < st.plan.count)
    issue_next(self);
  else if (res.completed == st.plan.count)
    st.done->set_value(std::move(res));
}

template <class Send>
void issue_next(driver_actor<Send>* self) {
  auto& st = self->state;
  auto index = st.plan.first + st.sent * st.plan.stride;
  ++st.sent;
  auto sent_at = st.plan.record_latency ? bench_clock::now()
                                        : bench_clock::time_point{};
  (*st.send)(self, index, [self, sent_at](const caf::error& err) {
    on_done(self, sent_at, err);
  });
}

/// Body of a driver actor: fills the window, then lives on its reply
/// handlers until the last reply arrives.
template <class Send>
void run_driver(driver_actor<Send>* self, Send send, driver_plan plan,
                std::shared_ptr<std::promise<driver_result>> done) {
  auto& st = self->state;
  st.send.emplace(std::move(send));
  st.plan = plan;
  st.done = std::move(done);
  if (plan.record_latency)
    st.result.latencies_ns.reserve(static_cast<size_t>(plan.count));
  if (plan.count == 0) {
    st.done->set_value(std::move(st.result));
    return;
  }
  auto initial = std::min(plan.window, plan.count);
  for (int64_t i = 0; i < initial; ++i)
    issue_next(self);
}

/// Sends requests 0 .. `total - 1` from `drivers` driver actors sharing
/// `window` requests in flight (driver d takes d, d + drivers, ...), waits for
/// every reply and returns the merged outcome with the elapsed wall time.
/// Returns only after the drivers terminated: CAF 0.17 never cancels the
/// timeout of a request that got its reply, so a live driver still holds one
/// clock entry per request sent in the last send-timeout; its termination
/// drops them (`cancel_timeouts`), which the memory workload relies on.
template <class Send>
driver_result drive(caf::actor_system& sys, const Send& send, int64_t total,
                    int64_t window, int64_t drivers,
                    bool record_latency = false) {
  drivers = std::max<int64_t>(1, std::min(drivers, window));
  std::vector<std::future<driver_result>> futures;
  std::vector<caf::actor> handles;
  auto start = bench_clock::now();
  for (int64_t d = 0; d < drivers; ++d) {
    driver_plan plan;
    plan.first = d;
    plan.stride = drivers;
    plan.count = total / drivers + (d < total % drivers ? 1 : 0);
    plan.window = window / drivers + (d < window % drivers ? 1 : 0);
    plan.record_latency = record_latency;
    auto promise = std::make_shared<std::promise<driver_result>>();
    futures.push_back(promise->get_future());
    handles.push_back(caf::actor_cast<caf::actor>(
      sys.spawn(run_driver<Send>, send, plan, std::move(promise))));
  }
  driver_result merged;
  for (auto& f : futures) {
    auto r = f.get();
    merged.completed += r.completed;
    if (r.errors > 0 && merged.errors == 0)
      merged.first_error = r.first_error;
    merged.errors += r.errors;
    merged.latencies_ns.insert(merged.latencies_ns.end(),
                               r.latencies_ns.begin(), r.latencies_ns.end());
  }
  merged.seconds
    = std::chrono::duration<double>(bench_clock::now() - start).count();
  caf::scoped_actor self{sys};
  for (auto& h : handles)
    self->monitor(h);
  handles.clear();
  for (int64_t i = 0; i < drivers; ++i)
    self->receive([](const caf::down_msg&) {});
  return merged;
}

} // namespace bench
