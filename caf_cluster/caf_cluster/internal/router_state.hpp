// The state of one router, shared by the files that implement it, one
// concern each:
// - router.cpp: the behaviour, routing a send to the runner that serves its
//   shard, retries with back-off, deadlines, shards lost while a send was in
//   flight, control messages and shutdown;
// - router_peers.cpp: the peer side: connections to remote runners, the
//   batches of sends and replies exchanged with them, serving a peer's batch
//   and losing a peer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/actor_addr.hpp"
#include "caf/actor_clock.hpp"
#include "caf/expected.hpp"
#include "caf/response_promise.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/detail/send.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/inflight.hpp"
#include "caf_cluster/internal/local_sender.hpp"
#include "caf_cluster/internal/router.hpp"
#include "caf_cluster/internal/router_actor.hpp"
#include "caf_cluster/internal/shard_manager_actor.hpp"
#include "caf_cluster/sharding_config.hpp"

namespace caf_cluster::internal {

/// The router's own message: send the batches collected in this turn.
using router_flush_atom = caf::atom_constant<caf::atom("cc_flush")>;

/// Timer: re-route sends whose back-off ended, give up overdue ones.
using router_retry_atom = caf::atom_constant<caf::atom("cc_retry")>;

using router_impl = router_actor::extend<caf::reacts_to<router_flush_atom>,
                                         caf::reacts_to<router_retry_atom>>;

struct router_state {
  static inline const char* name = "caf_cluster.router";

  using time_point = caf::actor_clock::time_point;

  // A send on its way to the runner that serves its shard.
  struct job {
    detail::entity_send send;
    caf::response_promise promise;
    time_point deadline;
    uint32_t attempt = 0;
    std::string target;                 // runner it was sent to
    std::optional<time_point> retry_at; // set while waiting to retry
    caf::error last_error;              // why the last attempt failed
    bool persisted = false;             // safe to send again while in flight
    inflight_loss loss;                 // its runner lost the shard meanwhile
  };

  struct peer {
    router_actor handle;           // null while connecting
    std::vector<uint64_t> waiting; // jobs waiting for the connection
  };

  router_impl::pointer self = nullptr;
  router_config cfg;
  std::string address; // this runner's; "" on a client-only node
  shard_manager_actor shard_manager;
  // By shard group: shard index - 1 -> runner address.
  std::unordered_map<std::string, std::vector<std::string>> owners;
  int32_t live_runners = -1; // in storage; -1 until the first map
  std::unordered_map<uint64_t, job> jobs;
  std::unordered_map<std::string, peer> peers;
  std::unordered_map<caf::actor_addr, std::string> peer_by_handle;
  uint64_t next_job = 1;
  // Batches collected in this turn of the mailbox, per peer router, with
  // the bytes they carry (see add_to_batch).
  template <class T>
  struct batch {
    std::vector<T> items;
    size_t bytes = 0;
  };
  std::unordered_map<caf::strong_actor_ptr, batch<envelope>> outbox;
  std::unordered_map<caf::strong_actor_ptr, batch<reply_envelope>> reply_box;
  bool flush_pending = false;
  bool sweep_pending = false;
  time_point sweep_at; // when the armed retry timer is due
  bool stopped = false;
  // Control messages from outsiders; shared with the router's enqueue,
  // which runs on senders' threads and may outlive this state.
  std::shared_ptr<refusal_log> refusals = std::make_shared<refusal_log>();

  // -- small helpers, inline --------------------------------------------------

  const sharding_config& config() const {
    return cfg.node->config;
  }

  // The owners of the shards of `group` (none known: empty).
  const std::vector<std::string>& owners_of(const std::string& group) const {
    static const std::vector<std::string> none;
    auto i = owners.find(group);
    return i == owners.end() ? none : i->second;
  }

  bool lost_by_target(const job& j) const {
    return lost_shard(j.target, address, owners_of(j.send.shard_group),
                      j.send.shard_index);
  }

  static std::string where(const detail::entity_send& x) {
    return x.entity_type + "/" + x.entity_id;
  }

  static caf::timespan time_left(const job& j, time_point now) {
    return j.deadline == time_point::max() ? caf::timespan::max()
                                           : caf::timespan{j.deadline - now};
  }

  // -- routing (router.cpp) ---------------------------------------------------

  void accept(detail::entity_send& x);

  void attempt(uint64_t jid);

  bool overdue(uint64_t jid, const job& j, time_point now);

  caf::expected<detail::deliver_actor> local(const std::string& type);

  void send_local(uint64_t jid, job& j);

  void on_reply(uint64_t jid, uint32_t attempt_no, caf::message& reply);

  void wait(job& j, caf::error err);

  void finish(uint64_t jid, caf::message reply);

  void give_up(uint64_t jid);

  void arm_sweep();

  void sweep();

  void note_losses();

  void settle_losses(time_point now);

  void on_assignments(const std::string& group, std::vector<std::string>& xs,
                      int32_t live);

  bool from_local(const char* what);

  void refuse_control(const char* what);

  bool from_shard_manager();

  void stop();

  // -- peers (router_peers.cpp) -----------------------------------------------

  void connect(const std::string& peer_address);

  void send_remote(uint64_t jid, job& j, const router_actor& dest);

  template <class Atom, class T>
  void add_to_batch(std::unordered_map<caf::strong_actor_ptr, batch<T>>& box,
                    const caf::strong_actor_ptr& dest, T item, size_t size);

  void send_reply(const caf::strong_actor_ptr& dest, uint64_t jid,
                  uint32_t attempt, caf::message reply);

  void schedule_flush();

  void flush();

  bool sent(const job& j) const;

  void on_peer_down(const caf::actor_addr& who);

  void serve_batch(std::vector<envelope>& batch);

  bool from_peer();
};

} // namespace caf_cluster::internal
