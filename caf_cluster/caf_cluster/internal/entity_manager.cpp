#include "caf_cluster/internal/entity_manager.hpp"

#include <exception>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/response_promise.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/any_response.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

namespace {

using time_point = caf::actor_clock::time_point;

struct pending_message {
  caf::message payload;
  caf::response_promise promise;
};

// One entity known to the manager. Slots live in an unordered_map, whose nodes
// never move, so the idle list can link them by pointer without allocating.
struct entity_slot {
  const std::string* id = nullptr; // the map key
  shard_id shard;
  caf::actor actor; // null while not activated
  std::vector<pending_message> queue; // [queue_head] runs while busy
  size_t queue_head = 0;
  bool busy = false;
  bool bounced = false; // the current message bounced off a quit actor once
  caf::message_id current_request; // of the message the entity is processing
  time_point idle_since;
  entity_slot* idle_prev = nullptr;
  entity_slot* idle_next = nullptr;
  bool idle_linked = false;

  size_t queued() const noexcept {
    return queue.size() - queue_head;
  }
};

// Entities without work, least recently active first. Because every entity of
// a type has the same max_idle, this is also the order of their deadlines, so
// one timer for the front suffices.
class idle_list {
public:
  void push_back(entity_slot* x) {
    x->idle_prev = tail_;
    x->idle_next = nullptr;
    if (tail_)
      tail_->idle_next = x;
    else
      head_ = x;
    tail_ = x;
    x->idle_linked = true;
  }

  void erase(entity_slot* x) {
    if (!x->idle_linked)
      return;
    (x->idle_prev ? x->idle_prev->idle_next : head_) = x->idle_next;
    (x->idle_next ? x->idle_next->idle_prev : tail_) = x->idle_prev;
    x->idle_prev = x->idle_next = nullptr;
    x->idle_linked = false;
  }

  entity_slot* front() const noexcept {
    return head_;
  }

private:
  entity_slot* head_ = nullptr;
  entity_slot* tail_ = nullptr;
};

struct manager_state {
  static inline const char* name = "caf_cluster.entity_manager";

  caf::event_based_actor* self = nullptr;
  entity_manager_config cfg;
  std::unordered_map<std::string, entity_slot> entities;
  idle_list idle;
  bool timer_pending = false;
  bool stopping = false;

  caf::error refusal(errc code, const std::string& id) const {
    return caf::make_error(code, cfg.entity_type + "/" + id);
  }

  void deliver(std::string& id, caf::message& payload) {
    auto promise = self->make_response_promise();
    if (stopping) {
      promise.deliver(refusal(errc::shutting_down, id));
      return;
    }
    auto i = entities.find(id);
    if (i == entities.end()) {
      auto shard = make_shard_id(id, cfg.shard_group, cfg.shards_per_group);
      if (!shard) {
        promise.deliver(std::move(shard.error()));
        return;
      }
      i = entities.emplace(std::move(id), entity_slot{}).first;
      i->second.id = &i->first;
      i->second.shard = std::move(*shard);
    }
    auto& slot = i->second;
    // The queue holds the running message too (until its reply), so its
    // length is everything in this entity's mailbox.
    if (static_cast<int64_t>(slot.queued()) >= cfg.mailbox_capacity) {
      cfg.counters->mailbox_full.fetch_add(1, std::memory_order_relaxed);
      promise.deliver(refusal(errc::mailbox_full, *slot.id));
      return;
    }
    slot.queue.push_back(pending_message{std::move(payload), std::move(promise)});
    if (!slot.busy)
      dispatch_next(slot);
  }

  void activate(entity_slot& slot) {
    entity_address addr{cfg.entity_type, *slot.id, slot.shard};
    slot.actor = cfg.factory(self, entity_context{std::move(addr), cfg.sharding});
    // Tells us when the entity dies for any reason, including one that drops a
    // response promise, so no message waits forever on a dead entity.
    slot.actor->attach_functor(
      [manager = self->address(), id = *slot.id,
       who = slot.actor.address()](const caf::error& reason) {
        if (auto hdl = caf::actor_cast<caf::actor>(manager))
          caf::anon_send(hdl, entity_down_atom::value, id, who, reason);
      });
    cfg.counters->resident.fetch_add(1, std::memory_order_relaxed);
    cfg.counters->activations.fetch_add(1, std::memory_order_relaxed);
  }

  void drop_actor(entity_slot& slot) {
    if (!slot.actor)
      return;
    self->send_exit(slot.actor, caf::exit_reason::user_shutdown);
    slot.actor = nullptr;
    cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
  }

  // Sends the oldest queued message to the entity, activating it if needed.
  void dispatch_next(entity_slot& slot) {
    idle.erase(&slot);
    if (!slot.actor)
      activate(slot);
    slot.busy = true;
    auto mid = self->new_request_id(caf::message_priority::normal);
    slot.current_request = mid;
    slot.actor->enqueue(caf::make_mailbox_element(
                          self->ctrl(), mid, {},
                          slot.queue[slot.queue_head].payload),
                        self->context());
    // Captures the id, not the slot: the slot may be gone when a late reply
    // arrives (its entity died and the manager moved on).
    self->add_multiplexed_response_handler(
      mid.response_id(),
      any_response([this, id = *slot.id, mid](caf::message& reply) {
        auto i = entities.find(id);
        if (i != entities.end() && i->second.busy
            && i->second.current_request == mid)
          on_reply(i->second, reply);
      }));
  }

  void on_entity_down(const std::string& id, const caf::actor_addr& who,
                      caf::error& reason) {
    auto i = entities.find(id);
    if (i == entities.end() || !i->second.actor
        || i->second.actor.address() != who)
      return; // passivated or replaced already
    auto& slot = i->second;
    slot.actor = nullptr;
    cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
    if (!slot.busy) {
      remove(slot);
      return;
    }
    if (!reason || reason == caf::exit_reason::normal
        || reason == caf::exit_reason::user_shutdown)
      reason = caf::make_error(errc::entity_failed, cfg.entity_type + "/" + id,
                               std::string{"entity stopped before replying"});
    auto reply = caf::make_message(std::move(reason));
    on_reply(slot, reply);
  }

  void on_reply(entity_slot& slot, caf::message& reply) {
    if (reply.match_elements<caf::error>()) {
      auto& err = reply.get_as<caf::error>(0);
      if (err == caf::sec::request_receiver_down && !slot.bounced) {
        // The entity quit on its own before this message reached it, so the
        // message was never processed: re-activate and deliver it once more.
        slot.bounced = true;
        slot.actor = nullptr;
        cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
        dispatch_next(slot);
        return;
      }
      if (err == errc::entity_failed || err == caf::sec::request_receiver_down)
        drop_actor(slot);
    }
    slot.bounced = false;
    auto& current = slot.queue[slot.queue_head];
    current.promise.deliver(std::move(reply));
    cfg.counters->processed.fetch_add(1, std::memory_order_relaxed);
    slot.busy = false;
    if (++slot.queue_head == slot.queue.size()) {
      slot.queue.clear();
      slot.queue_head = 0;
    }
    if (slot.queued() > 0) {
      dispatch_next(slot);
      return;
    }
    if (stopping) {
      remove(slot);
      return;
    }
    slot.idle_since = self->clock().now();
    if (!cfg.keep_alive) {
      idle.push_back(&slot);
      arm_timer();
    }
  }

  void remove(entity_slot& slot) {
    idle.erase(&slot);
    drop_actor(slot);
    entities.erase(*slot.id);
    if (stopping && entities.empty())
      self->quit();
  }

  void arm_timer() {
    auto* front = idle.front();
    if (timer_pending || front == nullptr)
      return;
    timer_pending = true;
    auto delay = front->idle_since + cfg.max_idle - self->clock().now();
    self->delayed_send(self, delay, idle_atom::value);
  }

  void on_idle_timer() {
    timer_pending = false;
    auto now = self->clock().now();
    while (auto* front = idle.front()) {
      if (front->idle_since + cfg.max_idle > now)
        break;
      cfg.counters->passivations.fetch_add(1, std::memory_order_relaxed);
      remove(*front);
    }
    arm_timer();
  }

  void begin_stop() {
    if (stopping)
      return;
    stopping = true;
    std::vector<entity_slot*> idle_slots;
    for (auto& kvp : entities)
      if (!kvp.second.busy)
        idle_slots.push_back(&kvp.second);
    for (auto* slot : idle_slots)
      remove(*slot);
    if (entities.empty()) {
      self->quit();
      return;
    }
    self->delayed_send(self, cfg.termination_timeout, deadline_atom::value);
  }

  // The termination timeout passed: fail what is still waiting and stop.
  void force_stop() {
    for (auto& kvp : entities) {
      auto& slot = kvp.second;
      for (auto i = slot.queue_head; i < slot.queue.size(); ++i)
        slot.queue[i].promise.deliver(refusal(errc::shutting_down, kvp.first));
      if (slot.actor) {
        self->send_exit(slot.actor, caf::exit_reason::kill);
        cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    entities.clear();
    self->quit();
  }
};

caf::behavior manager_impl(caf::stateful_actor<manager_state>* self,
                           entity_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  return {
    [=](deliver_atom, const std::string&, std::string& id,
        caf::message& payload) { self->state.deliver(id, payload); },
    [=](entity_down_atom, const std::string& id, const caf::actor_addr& who,
        caf::error& reason) { self->state.on_entity_down(id, who, reason); },
    [=](idle_atom) { self->state.on_idle_timer(); },
    [=](shutdown_atom) { self->state.begin_stop(); },
    [=](deadline_atom) { self->state.force_stop(); },
  };
}

} // namespace

caf::actor spawn_entity_manager(caf::actor_system& sys,
                                entity_manager_config cfg) {
  return sys.spawn(manager_impl, std::move(cfg));
}

void install_entity_exception_handler(caf::scheduled_actor* self,
                                      const entity_address& address) {
  self->set_exception_handler(
    [addr = to_string(address)](std::exception_ptr& ptr) -> caf::error {
      try {
        std::rethrow_exception(ptr);
      } catch (const std::exception& e) {
        return caf::make_error(errc::entity_failed, addr, std::string{e.what()});
      } catch (...) {
        return caf::make_error(errc::entity_failed, addr,
                               std::string{"unknown exception"});
      }
    });
}

} // namespace caf_cluster::internal
