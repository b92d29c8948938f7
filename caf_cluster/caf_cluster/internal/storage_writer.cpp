#include "caf_cluster/internal/storage_writer.hpp"

#include <chrono>
#include <utility>

#include "caf/actor_system.hpp"
#include "caf/response_promise.hpp"
#include "caf/result.hpp"
#include "caf/spawn_options.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/logger.hpp"
#include "caf_cluster/runner_counters.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

namespace {

using namespace detail;

// The writer's own message: the mailbox turn ended, commit the batch.
using flush_writes_atom = caf::atom_constant<caf::atom("cc_wflush")>;

using writer_impl_actor
  = storage_writer_actor::extend<caf::reacts_to<flush_writes_atom>>;

// Rows of one caller inside a batch.
template <class Row>
struct batch {
  std::vector<Row> rows;
  std::vector<std::pair<caf::response_promise, size_t>> callers; // count each
};

struct writer_state {
  static inline const char* name = "caf_cluster.storage_writer";

  writer_impl_actor::pointer self = nullptr;
  std::shared_ptr<storage::message_driver> driver;
  std::shared_ptr<const logger> log;
  std::shared_ptr<wall_clock> clock;
  std::shared_ptr<runner_counters> counters;
  batch<storage::request_row> requests;
  batch<storage::reply_write> replies;
  bool flush_pending = false;

  template <class Row>
  void add(batch<Row>& b, std::vector<Row>& rows) {
    auto promise = self->make_response_promise();
    auto n = rows.size();
    for (auto& row : rows)
      b.rows.push_back(std::move(row));
    b.callers.emplace_back(std::move(promise), n);
    if (b.rows.size() >= max_batch) {
      flush();
      return;
    }
    if (!flush_pending) {
      flush_pending = true;
      self->send(self, flush_writes_atom::value);
    }
  }

  // Splits `results` (one per row, in order) among the callers of `b`, or
  // fails them all with the storage's error.
  template <class Row, class Result>
  void answer(batch<Row>& b, caf::expected<std::vector<Result>>& results) {
    size_t offset = 0;
    for (auto& [promise, count] : b.callers) {
      if (!results) {
        promise.deliver(persistence(results.error()));
        continue;
      }
      std::vector<Result> mine;
      for (size_t i = offset; i < offset + count && i < results->size(); ++i)
        mine.push_back(std::move((*results)[i]));
      offset += count;
      promise.deliver(std::move(mine));
    }
    b.rows.clear();
    b.callers.clear();
  }

  // The storage's own message, with its category.
  caf::error persistence(const caf::error& err) const {
    return caf::make_error(errc::persistence_error, self->system().render(err));
  }

  // A failed storage call, logged once (not once per caller it fails).
  caf::error failed(const char* call, const caf::error& err) const {
    if (log)
      log->error("storage", call, " failed: ", err);
    return persistence(err);
  }

  // Requests and replies of one turn share one transaction.
  void flush() {
    flush_pending = false;
    if (requests.rows.empty() && replies.rows.empty())
      return;
    if (clock && !replies.rows.empty()) {
      auto now = clock->now_ms();
      for (auto& w : replies.rows)
        if (w.processed_at_ms == 0)
          w.processed_at_ms = now;
    }
    // One clock read per commit, not per row: a commit is an fsync anyway.
    auto started = std::chrono::steady_clock::now();
    auto results = driver->save_batch(requests.rows, replies.rows);
    if (counters) {
      counters->commit_latency.observe(std::chrono::steady_clock::now()
                                       - started);
      counters->commit_batch_size.observe(requests.rows.size()
                                          + replies.rows.size());
    }
    if (!results.requests)
      failed("saving requests", results.requests.error());
    if (!results.replies)
      failed("saving replies", results.replies.error());
    if (!requests.rows.empty())
      answer(requests, results.requests);
    if (!replies.rows.empty())
      answer(replies, results.replies);
  }

  // Answers a read after committing the writes queued before it.
  template <class F>
  auto read(F f) {
    flush();
    return f(*driver);
  }
};

using writer_pointer = writer_impl_actor::stateful_pointer<writer_state>;

writer_impl_actor::behavior_type
writer_impl(writer_pointer self,
            std::shared_ptr<storage::message_driver> driver,
            std::shared_ptr<const logger> log,
            std::shared_ptr<wall_clock> clock,
            std::shared_ptr<runner_counters> counters) {
  self->state.self = self;
  self->state.counters = std::move(counters);
  self->state.driver = std::move(driver);
  self->state.log = std::move(log);
  self->state.clock = std::move(clock);
  // A graceful stop arrives after the last participant's writes, but may
  // overtake the flush this writer sent itself for them: commit the open
  // batch first, or sends it accepted (a tell_at, which nobody waits for)
  // are lost. A kill (a simulated crash) bypasses this handler.
  self->set_exit_handler([=](caf::exit_msg& x) {
    self->state.flush();
    caf::scheduled_actor::default_exit_handler(self, x);
  });
  return {
    [=](save_requests_atom, std::vector<storage::request_row>& rows) {
      self->state.add(self->state.requests, rows);
      return caf::delegated<std::vector<storage::save_outcome>>{};
    },
    [=](save_replies_atom, std::vector<storage::reply_write>& writes) {
      self->state.add(self->state.replies, writes);
      return caf::delegated<std::vector<caf::error>>{};
    },
    [=](flush_writes_atom) {
      self->state.flush();
    },
    [=](load_state_atom, const std::string& type,
        const std::string& id) -> caf::result<bool, std::string> {
      auto x = self->state.read([&](auto& d) {
        return d.load_state(type, id);
      });
      if (!x)
        return self->state.failed("loading state", x.error());
      if (!*x)
        return {false, std::string{}};
      return {true, std::move(**x)};
    },
    [=](reply_for_atom,
        int64_t request_id) -> caf::result<bool, bool, std::string> {
      auto x = self->state.read([&](auto& d) {
        return d.reply_for(request_id);
      });
      if (!x)
        return self->state.failed("reading a reply", x.error());
      if (!*x)
        return {false, false, std::string{}};
      return {true, (*x)->ok, std::move((*x)->payload)};
    },
    [=](claim_atom, const std::vector<std::string>& shards, int64_t now_ms,
        int64_t claim_ms,
        uint64_t limit) -> caf::result<std::vector<storage::request_row>> {
      auto x = self->state.read([&](auto& d) {
        return d.claim_unprocessed(shards, now_ms, claim_ms,
                                   static_cast<size_t>(limit));
      });
      if (!x)
        return self->state.failed("claiming messages", x.error());
      return std::move(*x);
    },
    [=](read_entity_atom, const std::string& type, const std::string& id,
        int64_t now_ms,
        uint64_t limit) -> caf::result<std::vector<storage::request_row>> {
      auto x = self->state.read([&](auto& d) {
        return d.unprocessed_for_entity(type, id, now_ms,
                                        static_cast<size_t>(limit));
      });
      if (!x)
        return self->state.failed("reading an entity's stored messages",
                                  x.error());
      return std::move(*x);
    },
    // Writes outside the batch: like reads, they commit the open batch
    // first, so that they follow the saves sent before them.
    [=](transact_atom, const state_transaction& x) -> caf::result<void> {
      auto err = self->state.read([&](auto& d) {
        return d.transact_state(x.by, x.entity_type, x.entity_id, x.work);
      });
      if (err)
        return err;
      return caf::unit;
    },
    [=](purge_atom, const std::string& type,
        const std::string& id) -> caf::result<void> {
      auto err = self->state.read([&](auto& d) {
        return d.purge_entity(type, id);
      });
      if (err) {
        if (self->state.log)
          self->state.log->error("storage", "purging an entity failed: ", err);
        return err;
      }
      return caf::unit;
    },
  };
}

} // namespace

detail::storage_writer_actor
spawn_storage_writer(caf::actor_system& sys,
                     std::shared_ptr<storage::message_driver> driver,
                     bool detached, std::shared_ptr<const logger> log,
                     std::shared_ptr<wall_clock> clock,
                     std::shared_ptr<runner_counters> counters) {
  if (detached)
    return sys.spawn<caf::detached>(writer_impl, std::move(driver),
                                    std::move(log), std::move(clock),
                                    std::move(counters));
  return sys.spawn(writer_impl, std::move(driver), std::move(log),
                   std::move(clock), std::move(counters));
}

} // namespace caf_cluster::internal
