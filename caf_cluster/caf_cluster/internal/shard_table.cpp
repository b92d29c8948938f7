#include "caf_cluster/internal/shard_table.hpp"

namespace caf_cluster::internal {

namespace {

constexpr uint64_t until_mask = (uint64_t{1} << 56) - 1;

shard_state state_of(uint64_t word) noexcept {
  return static_cast<shard_state>(word >> 56);
}

int64_t until_of(uint64_t word) noexcept {
  return static_cast<int64_t>(word & until_mask);
}

bool running(shard_state st) noexcept {
  return st == shard_state::recovering || st == shard_state::serving;
}

bool owned(shard_state st) noexcept {
  return st != shard_state::unowned;
}

bool before(int64_t until, const wall_clock& clock) noexcept {
  return until == shard_table::always || until > clock.now_ms();
}

} // namespace

const char* to_string(shard_state x) noexcept {
  switch (x) {
    case shard_state::unowned:
      return "unowned";
    case shard_state::recovering:
      return "recovering";
    case shard_state::serving:
      return "serving";
    case shard_state::draining:
      return "draining";
  }
  return "?";
}

shard_table::shard_table(std::vector<std::string> groups, int32_t count,
                         bool own_everything)
  : groups_(std::move(groups)), count_(count) {
  auto n = groups_.size() * static_cast<size_t>(count_);
  words_.reset(new std::atomic<uint64_t>[n]);
  epochs_.reset(new std::atomic<int64_t>[n]);
  auto initial = own_everything ? pack(shard_state::serving, always)
                                : pack(shard_state::unowned, 0);
  for (size_t i = 0; i < n; ++i) {
    words_[i].store(initial, std::memory_order_relaxed);
    epochs_[i].store(0, std::memory_order_relaxed);
  }
}

size_t shard_table::slot(int32_t index, size_t g) const noexcept {
  if (index < 1 || index > count_ || g >= groups_.size())
    return static_cast<size_t>(-1);
  return g * static_cast<size_t>(count_) + static_cast<size_t>(index - 1);
}

// Sequentially consistent: together with `shard_occupancy`, a manager that
// counts an entity and then reads the table, and the shard manager that
// drains the table and then reads the counts, never both miss the other.
uint64_t shard_table::load(int32_t index, size_t g) const noexcept {
  auto i = slot(index, g);
  return i == static_cast<size_t>(-1) ? 0 : words_[i].load();
}

void shard_table::store(int32_t index, size_t g, uint64_t word) noexcept {
  auto i = slot(index, g);
  if (i != static_cast<size_t>(-1))
    words_[i].store(word);
}

shard_state shard_table::state(int32_t index, size_t g) const noexcept {
  return state_of(load(index, g));
}

int64_t shard_table::until(int32_t index, size_t g) const noexcept {
  auto word = load(index, g);
  return owned(state_of(word)) ? until_of(word) : 0;
}

int64_t shard_table::epoch(int32_t index, size_t g) const noexcept {
  auto i = slot(index, g);
  return i == static_cast<size_t>(-1) ? 0 : epochs_[i].load();
}

bool shard_table::active(int32_t index, const wall_clock& clock,
                          size_t g) const noexcept {
  auto word = load(index, g);
  return state_of(word) == shard_state::serving
    && before(until_of(word), clock);
}

bool shard_table::may_run(int32_t index, const wall_clock& clock,
                          size_t g) const noexcept {
  auto word = load(index, g);
  return running(state_of(word)) && before(until_of(word), clock);
}

bool shard_table::lapsed(int32_t index, const wall_clock& clock,
                          size_t g) const noexcept {
  auto word = load(index, g);
  return !owned(state_of(word)) || !before(until_of(word), clock);
}

void shard_table::acquire(int32_t index, int64_t epoch, int64_t until_ms,
                          size_t g) noexcept {
  auto i = slot(index, g);
  if (i == static_cast<size_t>(-1))
    return;
  // The epoch first: a reader that sees the shard running sees its epoch.
  epochs_[i].store(epoch);
  words_[i].store(pack(shard_state::recovering, until_ms));
}

// Changes a word only as `f` says (nothing when it returns 0), retrying when
// a fence from another thread changed it meanwhile, so none is overwritten.
template <class F>
void shard_table::update(int32_t index, size_t g, F f) noexcept {
  auto i = slot(index, g);
  if (i == static_cast<size_t>(-1))
    return;
  auto word = words_[i].load();
  for (;;) {
    auto next = f(word);
    if (next == 0 || words_[i].compare_exchange_weak(word, next))
      return;
  }
}

void shard_table::serve(int32_t index, size_t g) noexcept {
  update(index, g, [](uint64_t word) -> uint64_t {
    if (state_of(word) != shard_state::recovering)
      return 0;
    return pack(shard_state::serving, until_of(word));
  });
}

void shard_table::extend(int32_t index, int64_t until_ms, size_t g) noexcept {
  update(index, g, [until_ms](uint64_t word) -> uint64_t {
    if (!owned(state_of(word)))
      return 0;
    return pack(state_of(word), until_ms);
  });
}

void shard_table::drain(int32_t index, size_t g) noexcept {
  update(index, g, [](uint64_t word) -> uint64_t {
    if (!owned(state_of(word)))
      return 0;
    return pack(shard_state::draining, until_of(word));
  });
}

void shard_table::lose(int32_t index, size_t g) noexcept {
  store(index, g, pack(shard_state::draining, 0));
}

void shard_table::release(int32_t index, size_t g) noexcept {
  store(index, g, pack(shard_state::unowned, 0));
}

size_t shard_table::position(const std::string& group) const noexcept {
  for (size_t g = 0; g < groups_.size(); ++g)
    if (groups_[g] == group)
      return g;
  return not_hosted;
}

bool shard_table::fence(int32_t index, int64_t epoch, size_t g) noexcept {
  auto i = slot(index, g);
  if (i == static_cast<size_t>(-1) || epochs_[i].load() != epoch)
    return false;
  auto word = words_[i].load();
  while (owned(state_of(word))
         && !words_[i].compare_exchange_weak(word, pack(state_of(word), 0))) {
    // retry with the word another thread wrote
  }
  return owned(state_of(word)) && until_of(word) != 0;
}

void shard_table::lose_all() noexcept {
  auto n = groups_.size() * static_cast<size_t>(count_);
  for (size_t i = 0; i < n; ++i)
    words_[i].store(pack(shard_state::draining, 0));
}

shard_occupancy::shard_occupancy(int32_t count)
  : count_(count),
    counts_(new std::atomic<int32_t>[static_cast<size_t>(count)]) {
  for (int32_t i = 0; i < count; ++i)
    counts_[static_cast<size_t>(i)].store(0, std::memory_order_relaxed);
}

void shard_occupancy::enter(int32_t index) noexcept {
  if (index >= 1 && index <= count_)
    counts_[static_cast<size_t>(index - 1)].fetch_add(1);
}

void shard_occupancy::leave(int32_t index) noexcept {
  if (index >= 1 && index <= count_)
    counts_[static_cast<size_t>(index - 1)].fetch_sub(1);
}

bool shard_occupancy::occupied(int32_t index) const noexcept {
  return index >= 1 && index <= count_
    && counts_[static_cast<size_t>(index - 1)].load() > 0;
}

std::vector<int32_t> shard_occupancy::occupied_shards() const {
  std::vector<int32_t> result;
  for (int32_t i = 1; i <= count_; ++i)
    if (occupied(i))
      result.push_back(i);
  return result;
}

} // namespace caf_cluster::internal
