// The router's peer side: connections to the runners that serve other
// shards, the batches of sends and replies that travel between routers (one
// network frame each, within the peer's max-message-size), the batches a
// peer sends here, and what a lost connection means for sends under way.
#include <string>
#include <utility>
#include <vector>

#include "caf/actor_cast.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/request.hpp"
#include "caf_cluster/internal/router_state.hpp"
#include "caf_cluster/internal/send_limits.hpp"

namespace caf_cluster::internal {

namespace {

// Bytes counted for the fields of an envelope around its payload.
constexpr size_t item_allowance = 64;

} // namespace

void router_state::connect(const std::string& peer_address) {
  cfg.transport->connect(
    self, peer_address, [this, peer_address](caf::expected<caf::actor> hdl) {
      auto p = peers.find(peer_address);
      if (p == peers.end())
        return;
      auto waiting = std::move(p->second.waiting);
      if (!hdl) {
        peers.erase(p);
        for (auto jid : waiting)
          if (auto i = jobs.find(jid); i != jobs.end())
            wait(i->second, hdl.error());
        return;
      }
      auto typed = caf::actor_cast<router_actor>(*hdl);
      p->second.handle = typed;
      peer_by_handle[hdl->address()] = peer_address;
      self->monitor(*hdl);
      for (auto jid : waiting)
        if (auto i = jobs.find(jid); i != jobs.end()
            && i->second.target == peer_address && !i->second.retry_at)
          send_remote(jid, i->second, typed);
    });
}

// Queues job `jid` for the peer `dest`; the batch leaves at the end of
// this turn of the mailbox.
void router_state::send_remote(uint64_t jid, job& j, const router_actor& dest) {
  auto now = self->clock().now();
  if (overdue(jid, j, now))
    return;
  auto x = j.send;
  x.timeout = time_left(j, now);
  auto size = payload_size(x.payload) + x.entity_id.size()
    + x.entity_type.size() + item_allowance;
  add_to_batch<deliver_batch_atom>(outbox,
                                   caf::actor_cast<caf::strong_actor_ptr>(dest),
                                   envelope{jid, j.attempt, std::move(x)},
                                   size);
}

// Queues `item` of `size` bytes for `dest`. A batch leaves as one network
// frame, and the peer's gate closes a connection whose frame is larger
// than its max-message-size (plus a margin for one item's envelope): a
// batch that would grow past max-message-size leaves at once instead.
template <class Atom, class T>
void router_state::add_to_batch(
  std::unordered_map<caf::strong_actor_ptr, batch<T>>& box,
  const caf::strong_actor_ptr& dest, T item, size_t size) {
  auto& b = box[dest];
  auto budget = static_cast<size_t>(config().max_message_size);
  if (!b.items.empty() && b.bytes + size > budget) {
    self->send(caf::actor_cast<router_actor>(dest), Atom::value,
               std::move(b.items));
    b.items = std::vector<T>{};
    b.bytes = 0;
  }
  b.items.push_back(std::move(item));
  b.bytes += size;
  schedule_flush();
}

// Queues `reply` to job `jid` of peer `dest`; a reply too large for the
// peer's gate becomes the error saying so.
void router_state::send_reply(const caf::strong_actor_ptr& dest, uint64_t jid,
                              uint32_t attempt, caf::message reply) {
  auto size = payload_size(reply);
  if (size > static_cast<size_t>(config().max_message_size)) {
    reply = caf::make_message(
      caf::make_error(errc::message_too_large,
                      "reply of " + std::to_string(size)
                        + " bytes exceeds cluster.max-message-size ("
                        + std::to_string(config().max_message_size) + ")"));
    size = payload_size(reply);
  }
  add_to_batch<reply_batch_atom>(reply_box, dest,
                                 reply_envelope{jid, attempt, std::move(reply)},
                                 size + item_allowance);
}

void router_state::schedule_flush() {
  if (flush_pending)
    return;
  flush_pending = true;
  self->send(self, router_flush_atom::value);
}

void router_state::flush() {
  flush_pending = false;
  for (auto& kvp : outbox)
    if (!kvp.second.items.empty())
      self->send(caf::actor_cast<router_actor>(kvp.first),
                 deliver_batch_atom::value, std::move(kvp.second.items));
  outbox.clear();
  for (auto& kvp : reply_box)
    if (!kvp.second.items.empty())
      self->send(caf::actor_cast<router_actor>(kvp.first),
                 reply_batch_atom::value, std::move(kvp.second.items));
  reply_box.clear();
}

// Whether job `j` left for its target (it waits while a connection is
// being made, e.g. to a peer that froze before it accepted).
bool router_state::sent(const job& j) const {
  auto p = peers.find(j.target);
  return p == peers.end() || p->second.handle != nullptr;
}

void router_state::on_peer_down(const caf::actor_addr& who) {
  auto i = peer_by_handle.find(who);
  if (i == peer_by_handle.end())
    return;
  auto peer_address = std::move(i->second);
  peer_by_handle.erase(i);
  peers.erase(peer_address);
  for (auto& kvp : jobs)
    if (!kvp.second.retry_at && kvp.second.target == peer_address)
      wait(kvp.second,
           caf::make_error(errc::runner_unavailable, peer_address,
                           std::string{"connection lost"}));
  if (shard_manager)
    self->send(shard_manager, recheck_atom::value);
}

// A peer's batch of sends for shards it believes this runner serves; the
// replies go back in batches too.
void router_state::serve_batch(std::vector<envelope>& batch) {
  auto sender = self->current_sender();
  if (!sender)
    return;
  auto refuse = [&](envelope& x, caf::error err) {
    send_reply(sender, x.job, x.attempt, caf::make_message(std::move(err)));
  };
  for (auto& x : batch) {
    if (stopped || cfg.node->registry->closed()) {
      refuse(x, caf::make_error(errc::shutting_down, where(x.send)));
      continue;
    }
    // A hostile peer skips the checks of the client code.
    if (auto err = check_send_limits(x.send, config())) {
      refuse(x, std::move(err));
      continue;
    }
    auto dest = local(x.send.entity_type);
    if (!dest) {
      refuse(x, std::move(dest.error()));
      continue;
    }
    x.send.may_reroute = false;
    request_any(
      self, *dest, caf::make_message(deliver_atom::value, std::move(x.send)),
      [this, sender, job = x.job, attempt = x.attempt](caf::message& reply) {
        send_reply(sender, job, attempt, std::move(reply));
      });
  }
}

// Replies come from the peers this router sent envelopes to.
bool router_state::from_peer() {
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (sender && peer_by_handle.count(sender) > 0)
    return true;
  refuse_control("a reply batch");
  return false;
}

} // namespace caf_cluster::internal
