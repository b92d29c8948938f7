// The state of one advance of an execution: a working copy of the journal,
// the replay position, what the body did new in this advance, and the
// messages the advance must store before the entity answers.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/message.hpp"

#include "caf_cluster/storage/sql_transaction.hpp"
#include "caf_cluster/workflow/detail/core.hpp"
#include "caf_cluster/workflow/journal.hpp"

namespace caf_cluster::workflow::detail {

// Signals that unwind a body. Not derived from std::exception, so that a body
// catching std::exception does not swallow them.

/// A second new activity in one advance: continue in the next.
struct yield_signal {};

/// A suspension point without result: wait for its message.
struct suspend_signal {};

/// An interrupt reached new work or a suspension point.
struct interrupt_signal {};

/// A new transactional activity outside a storage transaction: the advance
/// runs again inside one.
struct transaction_signal {};

/// A replay reached another step than the journal has.
struct nondeterminism_signal {
  caf::error reason;
};

/// The storage transaction of a transactional activity failed (a savepoint
/// threw): the transaction rolls back and the trigger stays unprocessed.
struct storage_signal {
  caf::error reason;
};

/// A message the advance leaves behind, stored before the entity answers.
struct outgoing {
  std::string entity_type;
  std::string entity_id;
  std::string shard_group;
  caf::message payload;
  std::string primary_key;
  int64_t deliver_at_ms = 0;
};

/// One advance.
struct run_state {
  caf::actor_system* sys = nullptr;
  const workflow_spec* spec = nullptr;
  execution_journal journal;
  size_t pos = 0;
  bool did_work = false;

  /// Whether the body was sent a signal in this advance: a body that ends
  /// normally after one swallowed it.
  bool signalled = false;
  int64_t now_ms = 0;
  std::vector<outgoing> outbox;
  std::vector<std::pair<std::string, std::function<void()>>> compensations;

  /// The storage transaction of this advance, if it runs inside one.
  storage::sql_transaction* tx = nullptr;

  /// Set when storage has no transactions: transactional activities fail
  /// with `errc::unsupported`.
  bool tx_unsupported = false;

  /// Records that a signal unwinds the body; returns `x` to throw.
  template <class Signal>
  Signal raise(Signal x) {
    signalled = true;
    return x;
  }

  /// Stores a message to this execution itself.
  void send_self(caf::message msg, std::string key, int64_t at = 0);

  /// Returns the step at the replay position if it matches (and moves on),
  /// null at the end of the body's journal; throws nondeterminism_signal
  /// when another step is there (a compensation too, unless interrupted:
  /// then interrupt_signal).
  journal_step* reach(step_kind kind, const std::string& name);

  /// Appends a new step at the replay position.
  journal_step& append(step_kind kind, const std::string& name);

  /// Checks before new work: interrupt, or yield after one new activity.
  void begin_new();

  /// Moves an early completion named `key` into `s`, if there is one.
  bool take_completion(const std::string& key, journal_step& s);
};

/// What an advance ended with.
enum class advance_end { yielded, suspended, ended, needs_transaction };

/// Runs one advance of `st.journal` (running or suspended, not ended).
advance_end advance(run_state& st);

/// Returns the status the entity answers for `j`.
wf_status status_of(const execution_journal& j);

/// Adds the messages an ended journal leaves behind to `st.outbox`: the
/// parent's `wf_child_done` and the retention's `wf_purge` (keyed, so sending
/// them again on every trigger of an ended execution dedupes; this closes the
/// window in which a journal was stored before its messages).
/// `with_retention = false` leaves out the `wf_purge` (a purged journal).
void emit_final(run_state& st, bool with_retention = true);

/// Prepares a journal suspended on a failure for a resume: the last failed
/// activity (from its first attempt) and everything after it go (completed
/// deferreds and children after it go back to the early completions).
void prepare_resume(execution_journal& j);

} // namespace caf_cluster::workflow::detail
