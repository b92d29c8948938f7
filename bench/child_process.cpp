#include "child_process.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

extern char** environ;

namespace bench {

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "cluster-bench: " << what << '\n';
  std::exit(1);
}

std::string self_path() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    die(std::string{"cannot read /proc/self/exe: "} + std::strerror(errno));
  return std::string{buf, static_cast<size_t>(n)};
}

} // namespace

std::vector<double> run_in_child(workload w, side s, int argc, char** argv) {
  auto path = self_path();
  std::vector<std::string> args{path};
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i]);
  args.emplace_back("--child");
  args.push_back(std::string{to_string(w)} + ":" + flag_name(s));
  std::vector<char*> cargs;
  for (auto& a : args)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0)
    die(std::string{"pipe: "} + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  pid_t pid = 0;
  auto rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, cargs.data(),
                        environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    die("cannot start " + path + ": " + std::strerror(rc));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = read(fds[0], buf, sizeof(buf));
    if (n > 0)
      out.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    // retry
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die(std::string{"the "} + to_string(w) + " run on " + to_string(s)
        + " failed");
  std::vector<double> result;
  std::istringstream in{out};
  double x = 0;
  while (in >> x)
    result.push_back(x);
  return result;
}

} // namespace bench
