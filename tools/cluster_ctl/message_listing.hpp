// The body of the read-only listings of message storage (`pending`,
// `tables`): open, read one thing, print it.
#pragma once

#include <string>
#include <utility>

#include "cli.hpp"
#include "storage_session.hpp"

namespace cluster_ctl {

/// Opens the storage `opts` name read-only for the command `name`, calls
/// `read` on its message storage and hands the value to `print`; `what` names
/// the read in the error line when it fails. Returns the exit code.
template <class Read, class Print>
int run_message_listing(const std::string& name, const storage_options& opts,
                        const std::string& what, Read read, Print print) {
  storage_session session;
  if (auto code = open_storage(name, opts, storage_access::read_only, session))
    return *code;
  auto messages = open_message_storage(session);
  if (!messages)
    return runtime_error("cannot open '" + session.path
                         + "': " + error_text(messages.error()));
  auto value = read(**messages);
  if (!value)
    return runtime_error("cannot read " + what + ": "
                         + error_text(value.error()));
  print(std::move(*value));
  return exit_ok;
}

} // namespace cluster_ctl
