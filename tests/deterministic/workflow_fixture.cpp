#include "deterministic/workflow_fixture.hpp"

#include <sstream>

#include "caf/sec.hpp"

#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::testing::wf {

using workflow::activity_attempt;
using workflow::context;
using workflow::deferred;
using workflow::fail;
using workflow::outcome;
using workflow::retry_policy;

// -- world --------------------------------------------------------------------

int world::effect(const std::string& what, const std::string& execution_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  order_[execution_id].push_back(what);
  if (!armed_.empty() && what == armed_
      && (armed_execution_.empty() || armed_execution_ == execution_id)) {
    armed_.clear();
    tripped_ = true;
  }
  return ++counts_[{what, execution_id}];
}

int world::count(const std::string& what,
                 const std::string& execution_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = counts_.find({what, execution_id});
  return i == counts_.end() ? 0 : i->second;
}

std::map<std::pair<std::string, std::string>, int> world::all() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return counts_;
}

std::vector<std::string> world::order(const std::string& execution_id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = order_.find(execution_id);
  return i == order_.end() ? std::vector<std::string>{} : i->second;
}

void world::arm(std::string what, std::string execution_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  armed_ = std::move(what);
  armed_execution_ = std::move(execution_id);
  tripped_ = false;
}

void world::disarm() {
  std::lock_guard<std::mutex> guard{mtx_};
  armed_.clear();
  armed_execution_.clear();
  tripped_ = false;
}

// -- definitions
// ----------------------------------------------------------------

namespace {

using wf_outcome = outcome<std::string, wf_error>;

caf::error refused(const std::string& what) {
  return caf::make_error(caf::sec::runtime_error, what);
}

// A plain activity: records its side effect, returns its run count.
std::string run_counted(world& w, const std::string& what,
                        const std::string& id) {
  return std::to_string(w.effect(what, id));
}

wf_outcome email_body(const std::shared_ptr<world>& w, context& ctx,
                      const email& p) {
  auto id = ctx.execution_id();
  auto sent = ctx.activity(
    "SendEmail",
    [w, id](const activity_attempt& a) -> caf::expected<std::string> {
      w->effect("SendEmail/" + std::to_string(a.attempt), id);
      if (a.attempt < 5)
        return refused("smtp refused attempt " + std::to_string(a.attempt));
      return "msg-" + std::to_string(a.attempt);
    },
    retry_policy{5});
  if (!sent)
    return fail(wf_error{"send failed"});
  ctx.compensate("Unsend", [w, id] {
    w->effect("Unsend", id);
  });
  ctx.sleep("Wait", std::chrono::seconds{10});
  auto confirmed = ctx.await(deferred<std::string>{"Confirm"});
  if (!confirmed)
    return fail(wf_error{"not confirmed"});
  if (p.fail_at_end)
    return fail(wf_error{"rejected"});
  return "sent:" + *confirmed;
}

wf_outcome flaky_body(const std::shared_ptr<world>& w, context& ctx,
                      const job&) {
  auto id = ctx.execution_id();
  auto r = ctx.activity("Flaky", [w, id]() -> caf::expected<std::string> {
    w->effect("Flaky", id);
    if (w->flaky_failures.fetch_sub(1) > 0)
      return refused("flaky");
    return std::string{"ok"};
  });
  if (!r)
    return fail(wf_error{"flaky failed"});
  ctx.activity("Done", [w, id] {
    return run_counted(*w, "Done", id);
  });
  return std::string{"done"};
}

wf_outcome catching_body(const std::shared_ptr<world>& w, context& ctx,
                         const job&) {
  auto id = ctx.execution_id();
  auto r = ctx.activity("Fails", [w, id]() -> caf::expected<std::string> {
    w->effect("Fails", id);
    return refused("out of stock");
  });
  if (r)
    return fail(wf_error{"the failing activity succeeded"});
  auto after = ctx.activity("After", [w, id] {
    return run_counted(*w, "After", id);
  });
  if (!after)
    return fail(wf_error{"After failed"});
  return std::string{"handled"};
}

wf_outcome parent_body(const std::shared_ptr<world>& w, context& ctx,
                       const job& p) {
  auto id = ctx.execution_id();
  auto r = ctx.child(email_def(), email{"child@example.org", p.id + "-child"});
  if (!r)
    return fail(wf_error{"child error: " + caf::to_string(r.error())});
  if (!r->ok())
    return fail(wf_error{"child failed: " + r->error().reason});
  ctx.activity("Finish", [w, id] {
    return run_counted(*w, "Finish", id);
  });
  return "parent:" + r->value();
}

wf_outcome order_body(const std::shared_ptr<world>& w, context& ctx,
                      const job&) {
  auto id = ctx.execution_id();
  ctx.activity("Charge", [w, id] {
    return run_counted(*w, "Charge", id);
  });
  ctx.compensate("Refund", [w, id] {
    w->effect("Refund", id);
  });
  auto fraud_check = [&] {
    ctx.activity("FraudCheck", [w, id] {
      return run_counted(*w, "FraudCheck", id);
    });
  };
  switch (w->version.load()) {
    case 1:
      break;
    case 2: // changed without a marker
      fraud_check();
      break;
    default: // changed with a marker
      if (ctx.patched("fraud-check"))
        fraud_check();
  }
  ctx.sleep("Cool", std::chrono::seconds{10});
  ctx.activity("Ship", [w, id] {
    return run_counted(*w, "Ship", id);
  });
  return std::string{"shipped"};
}

wf_outcome approval_body(const std::shared_ptr<world>& w, context& ctx,
                         const job&) {
  auto id = ctx.execution_id();
  ctx.activity("Prepare", [w, id] {
    return run_counted(*w, "Prepare", id);
  });
  ctx.sleep("Nap", std::chrono::seconds{10});
  auto a = ctx.await(deferred<std::string>{"Approval"});
  if (!a)
    return fail(wf_error{"approval failed"});
  return *a;
}

wf_outcome fanout_body(const std::shared_ptr<world>& w, context& ctx,
                       const job&) {
  auto id = ctx.execution_id();
  std::vector<workflow::activity_call<std::string>> calls;
  for (auto name : {"A", "B", "C"})
    calls.push_back(
      workflow::call<std::string>(name, [w, id, n = std::string{name}] {
        return run_counted(*w, n, id);
      }));
  auto rs = ctx.all(std::move(calls));
  ctx.sleep("Nap", std::chrono::seconds{10});
  std::string result;
  for (auto& r : rs) {
    if (!r)
      return fail(wf_error{"a fan-out call failed"});
    result += (result.empty() ? "" : ",") + *r;
  }
  return result;
}

wf_outcome compensating_body(const std::shared_ptr<world>& w, context& ctx,
                             const job&) {
  auto id = ctx.execution_id();
  ctx.activity("A", [w, id] {
    return run_counted(*w, "A", id);
  });
  ctx.compensate("UndoA", [w, id] {
    w->effect("UndoA", id);
  });
  ctx.activity("B", [w, id] {
    return run_counted(*w, "B", id);
  });
  ctx.compensate("UndoB", [w, id] {
    w->effect("UndoB", id);
  });
  auto r = ctx.activity("Boom", [w, id]() -> caf::expected<std::string> {
    w->effect("Boom", id);
    return refused("boom");
  });
  if (!r)
    return fail(wf_error{"boom"});
  return std::string{"unreachable"};
}

wf_outcome pipeline_body(const std::shared_ptr<world>& w, context& ctx,
                         const job&) {
  auto id = ctx.execution_id();
  std::string result;
  for (auto name : {"A", "B", "C"}) {
    auto r = ctx.activity(name, [w, id, n = std::string{name}] {
      return run_counted(*w, n, id);
    });
    if (!r)
      return fail(wf_error{std::string{name} + " failed"});
    result += *r + ",";
  }
  ctx.sleep("Nap", std::chrono::seconds{5});
  auto go = ctx.await(deferred<std::string>{"Go"});
  if (!go)
    return fail(wf_error{"go failed"});
  return result + *go;
}

wf_outcome sleeper_body(const std::shared_ptr<world>& w, context& ctx,
                        const job&) {
  auto id = ctx.execution_id();
  ctx.activity("Before", [w, id] {
    return run_counted(*w, "Before", id);
  });
  ctx.sleep("Hour", std::chrono::hours{1});
  ctx.activity("After", [w, id] {
    return run_counted(*w, "After", id);
  });
  return std::string{"rested"};
}

wf_outcome transactional_body(const std::shared_ptr<world>& w, context& ctx,
                              const job&) {
  auto id = ctx.execution_id();
  auto r = ctx.activity_in_transaction(
    "Transactional", [w, id](storage::sql_transaction&) {
      return run_counted(*w, "Transactional", id);
    });
  if (r)
    return fail(wf_error{"memory storage ran a transactional activity"});
  if (r.error() == errc::unsupported)
    return std::string{"refused"};
  return fail(wf_error{caf::to_string(r.error())});
}

job_workflow job_def(std::string name) {
  return job_workflow(std::move(name)).idempotency_key([](const job& x) {
    return x.id;
  });
}

} // namespace

const email_workflow& email_def() {
  static const auto def
    = email_workflow("Email").idempotency_key([](const email& x) {
        return x.id;
      });
  return def;
}

const email_workflow& grouped_email_def() {
  static const auto def = email_workflow("GroupedEmail")
                            .idempotency_key([](const email& x) {
                              return x.id;
                            })
                            .shard_group("workflow");
  return def;
}

const job_workflow& flaky_def() {
  static const auto def = job_def("Flaky").suspend_on_failure();
  return def;
}

const job_workflow& catching_def() {
  static const auto def = job_def("Catching");
  return def;
}

const job_workflow& parent_def() {
  static const auto def = job_def("Parent");
  return def;
}

const job_workflow& order_def() {
  static const auto def = job_def("Order");
  return def;
}

const job_workflow& approval_def() {
  static const auto def = job_def("Approval");
  return def;
}

const job_workflow& fanout_def() {
  static const auto def = job_def("FanOut");
  return def;
}

const job_workflow& compensating_def() {
  static const auto def = job_def("Compensating");
  return def;
}

const job_workflow& pipeline_def() {
  static const auto def = job_def("Pipeline");
  return def;
}

const job_workflow& sleeper_def() {
  static const auto def = job_def("Sleeper");
  return def;
}

const job_workflow& transactional_def() {
  static const auto def = job_def("Transactional");
  return def;
}

void add_types(caf::actor_system_config& cfg) {
  workflow::add_workflow_types(cfg, email_def());
  workflow::add_workflow_types(cfg, pipeline_def());
}

caf::error add_workflows(sharding& r, const std::shared_ptr<world>& w) {
  workflow::engine e{r};
  auto with = [w](auto body) {
    return [w, body](context& ctx, const auto& p) {
      return body(w, ctx, p);
    };
  };
  if (auto err = e.add(email_def(), with(email_body)))
    return err;
  if (auto err = e.add(grouped_email_def(), with(email_body)))
    return err;
  std::pair<const job_workflow*,
            wf_outcome (*)(const std::shared_ptr<world>&, context&, const job&)>
    jobs[] = {
      {&flaky_def(), flaky_body},
      {&catching_def(), catching_body},
      {&parent_def(), parent_body},
      {&order_def(), order_body},
      {&approval_def(), approval_body},
      {&fanout_def(), fanout_body},
      {&compensating_def(), compensating_body},
      {&pipeline_def(), pipeline_body},
      {&sleeper_def(), sleeper_body},
      {&transactional_def(), transactional_body},
    };
  for (auto& [def, body] : jobs)
    if (auto err = e.add(*def, with(body)))
      return err;
  return caf::none;
}

// -- cluster
// ----------------------------------------------------------------------

sharding_config wf_cluster::small_config() {
  auto cfg = test_cluster::default_config();
  cfg.shards_per_group = 6;
  cfg.shard_groups = {"default", "workflow"};
  return cfg;
}

wf_cluster::wf_cluster(size_t runners, sharding_config cfg)
  : c(
    runners,
    [w = w](sharding& r, size_t) {
      return add_workflows(r, w);
    },
    add_types, std::move(cfg)) {
  // nop
}

std::optional<workflow::execution_journal>
wf_cluster::journal_of(const std::string& entity_type, const std::string& id) {
  auto bytes = c.message_storage()->load_state(entity_type, id);
  if (!bytes || !*bytes)
    return std::nullopt;
  auto x = decode_value<workflow::execution_journal>(c.system(), **bytes);
  if (!x)
    return std::nullopt;
  return std::move(*x);
}

std::optional<size_t> wf_cluster::owner(const std::string& id) const {
  auto who = c.servers(id);
  if (who.size() != 1)
    return std::nullopt;
  return who.front();
}

bool wf_cluster::run_until_tripped(caf::timespan limit) {
  auto& sched = c.scheduler();
  for (caf::timespan waited{0}; !w->tripped();) {
    if (sched.try_run_once())
      continue;
    if (waited >= limit)
      return false;
    c.clock()->advance_ms(1);
    sched.clock().advance_time(std::chrono::milliseconds{1});
    waited += std::chrono::milliseconds{1};
  }
  return true;
}

void wf_cluster::restart_all() {
  for (size_t i = 0; i < c.size(); ++i)
    c.kill(i);
  for (size_t i = 0; i < c.size(); ++i)
    c.restart(i);
}

std::map<std::string, int64_t>
wf_cluster::pending(const std::string& entity_type) {
  std::map<std::string, int64_t> result;
  auto counts = c.message_storage()->pending_counts();
  if (!counts)
    return result;
  for (auto& x : *counts)
    if (x.entity_type == entity_type)
      result[x.shard] += x.count;
  return result;
}

std::string describe(const workflow::execution_journal& j) {
  std::ostringstream out;
  out << "status " << to_string(j.status) << "; steps:";
  for (auto& s : j.steps)
    out << " [" << to_string(s.kind) << " " << s.name << " "
        << static_cast<int>(s.state) << "]";
  return out.str();
}

std::string describe(const std::optional<workflow::execution_journal>& j) {
  return j ? describe(*j) : std::string{"no journal"};
}

size_t steps_of(const workflow::execution_journal& j, workflow::step_kind kind,
                const std::string& name, uint8_t state) {
  size_t n = 0;
  for (auto& s : j.steps)
    if (s.kind == kind && s.name == name && s.state == state)
      ++n;
  return n;
}

std::string text_of(caf::actor_system& sys, const wf_status& st) {
  if (st.ok) {
    auto x = workflow::detail::decode<std::string>(sys, st.result);
    return x ? *x : "<undecodable result>";
  }
  auto x = workflow::detail::decode<wf_error>(sys, st.result);
  return x ? "error:" + x->reason : "<no typed failure>";
}

} // namespace caf_cluster::testing::wf
