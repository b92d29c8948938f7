// Seeds a SQLite storage file with workflow journals for the cluster-ctl
// `workflows` and `workflow` tests, encoded as the runtime encodes an
// execution entity's durable state (types registered by add_workflow_types):
//   orders/a1         suspended: charge/1 ok, sleep wait-for-stock pending,
//                     deferred approval pending, an early completion
//   orders/b2         complete: charge/1 failed, charge/2 ok, a patch
//   orders-archive/a1 running (a name that starts with "orders")
//   billing/c3        failed by nondeterminism
//   broken/e5         bytes that do not decode
// and one state of another entity type, which is no workflow.
#include <cstdio>
#include <iostream>
#include <string>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/workflow/engine.hpp"

namespace {

namespace wf = caf_cluster::workflow;

// 2026-01-01T00:00:00.000Z
constexpr int64_t t0 = 1'767'225'600'000;

int fail(const std::string& what) {
  std::cerr << "seed_workflow_storage: " << what << '\n';
  return 1;
}

wf::journal_step step(wf::step_kind kind, std::string name, uint8_t state,
                      int64_t recorded, int32_t attempt = 0) {
  wf::journal_step s;
  s.kind = kind;
  s.name = std::move(name);
  s.state = state;
  s.recorded_ms = recorded;
  s.attempt = attempt;
  return s;
}

wf::execution_journal journal(std::string workflow, std::string id,
                              wf::execution_status status) {
  wf::execution_journal j;
  j.workflow = std::move(workflow);
  j.execution_id = std::move(id);
  j.status = status;
  j.started_ms = t0;
  j.updated_ms = t0 + 2000;
  j.replays = 2;
  return j;
}

} // namespace

int main(int argc, char** argv) {
  using namespace caf_cluster;
  if (argc != 2)
    return fail("usage: seed_workflow_storage PATH");
  const std::string path = argv[1];
  for (auto suffix : {"", "-wal", "-shm"})
    std::remove((path + suffix).c_str());
  caf::actor_system_config cfg;
  wf::add_workflow_types(cfg, wf::workflow<std::string, std::string>{"orders"});
  add_error_category(cfg);
  caf::actor_system sys{cfg};
  auto messages = storage::make_sqlite_message_driver(path);
  if (!messages)
    return fail("cannot open " + path);
  auto save = [&](const std::string& type, const std::string& id,
                  const std::string& bytes) {
    return !(*messages)->save_state(storage::state_row{type, id, bytes},
                                    storage::fence{"default:1", 0});
  };
  auto save_journal = [&](const wf::execution_journal& j) {
    auto bytes = encode_value(sys, j);
    return bytes && save("workflow/" + j.workflow, j.execution_id, *bytes);
  };
  using wf::step_kind;
  namespace st = wf::step_state;
  auto a1 = journal("orders", "a1", wf::execution_status::suspended);
  a1.steps.push_back(
    step(step_kind::activity, "charge/1", st::ok, t0 + 100, 1));
  a1.steps.back().value = "paid";
  a1.steps.push_back(
    step(step_kind::sleep, "wait-for-stock", st::pending, t0 + 200));
  a1.steps.back().wake_ms = t0 + 3'600'000;
  a1.steps.push_back(
    step(step_kind::deferred, "approval", st::pending, t0 + 300));
  a1.completions.push_back(
    wf::early_completion{"payment-confirmed", st::ok, "yes", caf::error{}});
  auto b2 = journal("orders", "b2", wf::execution_status::complete);
  b2.steps.push_back(
    step(step_kind::activity, "charge/1", st::failed, t0 + 100, 1));
  b2.steps.back().error = caf::make_error(errc::entity_failed,
                                          std::string{"card declined"});
  b2.steps.push_back(
    step(step_kind::activity, "charge/2", st::ok, t0 + 150, 2));
  b2.steps.push_back(
    step(step_kind::patch, "v2-fraud-check", st::ok, t0 + 160));
  b2.result = "shipped";
  b2.result_ok = true;
  b2.completed_ms = t0 + 5000;
  b2.updated_ms = t0 + 5000;
  auto archive = journal("orders-archive", "a1", wf::execution_status::running);
  auto c3 = journal("billing", "c3", wf::execution_status::failed);
  c3.steps.push_back(
    step(step_kind::activity, "invoice/1", st::ok, t0 + 100, 1));
  c3.error = caf::make_error(errc::nondeterministic_workflow,
                             std::string{"step 2: the journal has activity "
                                         "'invoice/1', the code reached "
                                         "sleep 'wait'"});
  c3.completed_ms = t0 + 3000;
  for (const auto& j : {a1, b2, archive, c3})
    if (!save_journal(j))
      return fail("cannot store the journal of " + j.execution_id);
  if (!save("workflow/broken", "e5", "not a journal")
      || !save("Counter", "c-1", "counter state"))
    return fail("cannot store the other states");
  return 0;
}
