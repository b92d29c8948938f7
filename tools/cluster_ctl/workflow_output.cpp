#include "workflow_output.hpp"

#include <ctime>
#include <iostream>

#include "caf_cluster/storage/error_text.hpp"

#include "json_writer.hpp"

namespace cluster_ctl {

namespace {

using caf_cluster::storage::printable;
using caf_cluster::workflow::execution_journal;
using caf_cluster::workflow::journal_step;
using caf_cluster::workflow::step_kind;
namespace step_state = caf_cluster::workflow::step_state;

std::string state_name(uint8_t x) {
  switch (x) {
    case step_state::pending:
      return "pending";
    case step_state::ok:
      return "ok";
    case step_state::failed:
      return "failed";
    case step_state::cleared:
      return "cleared";
    default:
      return "state-" + std::to_string(x);
  }
}

std::string status_of(const stored_execution& x) {
  return x.journal ? to_string(x.journal->status) : "undecodable";
}

bool pending_sleep(const journal_step& s) {
  return s.kind == step_kind::sleep && s.state == step_state::pending;
}

bool pending_deferred(const journal_step& s) {
  return s.kind == step_kind::deferred && s.state == step_state::pending;
}

// What the body returned: an encoded result, a typed failure, or nothing.
std::string outcome_of(const execution_journal& j) {
  if (j.result_ok)
    return "ok (" + std::to_string(j.result.size()) + " bytes)";
  if (!j.result.empty())
    return "typed failure (" + std::to_string(j.result.size()) + " bytes)";
  return "-";
}

void print_text(const stored_execution& x, journal_reader& reader) {
  const auto& j = *x.journal;
  std::cout << "workflow " << printable(x.workflow) << '\n'
            << "execution " << printable(x.execution_id) << '\n'
            << "status " << to_string(j.status)
            << (j.suspended_failed ? " (on a failure)" : "")
            << (j.interrupt_requested ? " (interrupt requested)" : "") << '\n'
            << "started " << utc_time(j.started_ms) << '\n'
            << "updated " << utc_time(j.updated_ms) << '\n'
            << "completed " << utc_time(j.completed_ms) << '\n'
            << "replays " << j.replays << '\n'
            << "resumes " << j.resumes << '\n';
  if (!j.parent.workflow.empty())
    std::cout << "parent " << printable(j.parent.workflow) << '/'
              << printable(j.parent.execution_id)
              << (j.parent.detached ? " detached" : "") << '\n';
  std::cout << "\nstep kind name attempt state recorded\n";
  for (size_t i = 0; i < j.steps.size(); ++i) {
    const auto& s = j.steps[i];
    std::cout << (i + 1) << ' ' << to_string(s.kind) << ' ' << printable(s.name)
              << ' '
              << (s.kind == step_kind::activity ? std::to_string(s.attempt)
                                                : std::string{"-"})
              << ' ' << state_name(s.state) << ' ' << utc_time(s.recorded_ms);
    if (s.kind == step_kind::sleep)
      std::cout << " due " << utc_time(s.wake_ms);
    if (s.state == step_state::failed)
      std::cout << " error " << printable(reader.render(s.error));
    std::cout << '\n';
  }
  std::cout << "\npending-sleep due\n";
  for (const auto& s : j.steps)
    if (pending_sleep(s))
      std::cout << printable(s.name) << ' ' << utc_time(s.wake_ms) << '\n';
  std::cout << "\npending-deferred\n";
  for (const auto& s : j.steps)
    if (pending_deferred(s))
      std::cout << printable(s.name) << '\n';
  std::cout << "\nearly-completion state\n";
  for (const auto& c : j.completions) {
    std::cout << printable(c.name) << ' ' << state_name(c.state);
    if (c.state == step_state::failed)
      std::cout << " error " << printable(reader.render(c.error));
    std::cout << '\n';
  }
  std::cout << "\nresult " << outcome_of(j) << '\n'
            << "error " << (j.error ? printable(reader.render(j.error)) : "-")
            << '\n';
}

void print_json(const stored_execution& x, journal_reader& reader) {
  const auto& j = *x.journal;
  auto error_text = [&](const caf::error& err) {
    return err ? reader.render(err) : std::string{};
  };
  json_writer out{std::cout};
  out.begin_object()
    .member("workflow", x.workflow)
    .member("execution_id", x.execution_id)
    .member("status", to_string(j.status))
    .member("suspended_failed", j.suspended_failed)
    .member("interrupt_requested", j.interrupt_requested)
    .member("started_ms", j.started_ms)
    .member("updated_ms", j.updated_ms)
    .member("completed_ms", j.completed_ms)
    .member("replays", j.replays)
    .member("resumes", j.resumes);
  out.key("parent")
    .begin_object()
    .member("workflow", j.parent.workflow)
    .member("execution_id", j.parent.execution_id)
    .member("shard_group", j.parent.shard_group)
    .member("detached", j.parent.detached)
    .end_object();
  out.key("steps").begin_array();
  for (const auto& s : j.steps)
    out.begin_object()
      .member("kind", to_string(s.kind))
      .member("name", s.name)
      .member("attempt", s.attempt)
      .member("state", state_name(s.state))
      .member("recorded_ms", s.recorded_ms)
      .member("wake_ms", s.wake_ms)
      .member("value_bytes", static_cast<int64_t>(s.value.size()))
      .member("error", error_text(s.error))
      .end_object();
  out.end_array().key("pending_sleeps").begin_array();
  for (const auto& s : j.steps)
    if (pending_sleep(s))
      out.begin_object()
        .member("name", s.name)
        .member("wake_ms", s.wake_ms)
        .end_object();
  out.end_array().key("pending_deferreds").begin_array();
  for (const auto& s : j.steps)
    if (pending_deferred(s))
      out.value(s.name);
  out.end_array().key("completions").begin_array();
  for (const auto& c : j.completions)
    out.begin_object()
      .member("name", c.name)
      .member("state", state_name(c.state))
      .member("error", error_text(c.error))
      .end_object();
  out.end_array()
    .member("result_ok", j.result_ok)
    .member("result_bytes", static_cast<int64_t>(j.result.size()))
    .member("error", error_text(j.error))
    .end_object();
}

} // namespace

std::string utc_time(int64_t ms) {
  if (ms == 0)
    return "-";
  auto secs = static_cast<std::time_t>(ms / 1000);
  auto frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(frac));
  return out;
}

void print_workflows(const std::vector<stored_execution>& xs, bool json) {
  if (!json) {
    std::cout << "workflow id status steps started updated\n";
    for (const auto& x : xs) {
      std::cout << printable(x.workflow) << ' ' << printable(x.execution_id)
                << ' ' << status_of(x) << ' ';
      if (x.journal)
        std::cout << x.journal->steps.size() << ' '
                  << utc_time(x.journal->started_ms) << ' '
                  << utc_time(x.journal->updated_ms) << '\n';
      else
        std::cout << "- - -\n";
    }
    return;
  }
  json_writer out{std::cout};
  out.begin_object().key("executions").begin_array();
  for (const auto& x : xs) {
    out.begin_object()
      .member("workflow", x.workflow)
      .member("execution_id", x.execution_id)
      .member("status", status_of(x));
    if (x.journal)
      out.member("steps", static_cast<int64_t>(x.journal->steps.size()))
        .member("started_ms", x.journal->started_ms)
        .member("updated_ms", x.journal->updated_ms)
        .member("completed_ms", x.journal->completed_ms);
    out.end_object();
  }
  out.end_array().end_object();
}

void print_workflow(const stored_execution& x, journal_reader& reader,
                    bool json) {
  if (json)
    print_json(x, reader);
  else
    print_text(x, reader);
}

} // namespace cluster_ctl
