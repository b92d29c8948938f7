#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

extern char** environ;

namespace bench {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Bound on one measurement in a child; the slowest default run takes seconds.
constexpr auto child_timeout = std::chrono::minutes{15};

int remaining_ms(steady_clock::time_point deadline) {
  auto left
    = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Waits for `pid` until `deadline`; returns whether it exited (`status` set).
bool wait_until(pid_t pid, steady_clock::time_point deadline, int& status) {
  for (;;) {
    auto rc = waitpid(pid, &status, WNOHANG);
    if (rc == pid)
      return true;
    if (rc < 0 && errno != EINTR)
      return true; // not our child (any more): nothing left to wait for
    if (steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(milliseconds{5});
  }
}

} // namespace

void die(const std::string& what, int code) {
  std::cerr << "cluster-bench: " << what << std::endl;
  std::exit(code);
}

std::string make_temp_dir() {
  auto base = std::filesystem::temp_directory_path() / "cluster-bench-XXXXXX";
  auto text = base.string();
  if (mkdtemp(text.data()) == nullptr)
    die("cannot create a temp dir in " + base.parent_path().string());
  return text;
}

std::string self_path() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    die(std::string{"cannot read /proc/self/exe: "} + std::strerror(errno));
  return std::string{buf, static_cast<size_t>(n)};
}

started_process start_process(const std::vector<std::string>& args) {
  std::vector<std::string> copy = args;
  std::vector<char*> cargs;
  for (auto& a : copy)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    die(std::string{"pipe: "} + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  started_process result;
  auto rc = posix_spawn(&result.pid, copy[0].c_str(), &actions, nullptr,
                        cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    die("cannot start " + copy[0] + ": " + std::strerror(rc));
  }
  result.out_fd = fds[0];
  return result;
}

bool read_line(int fd, milliseconds timeout, std::string& line) {
  auto deadline = steady_clock::now() + timeout;
  line.clear();
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    auto rc = poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      return false;
    char ch = 0;
    auto n = read(fd, &ch, 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    if (ch == '\n')
      return true;
    line += ch;
  }
}

bool stop_process(pid_t pid, milliseconds grace) {
  int status = 0;
  kill(pid, SIGTERM);
  if (wait_until(pid, steady_clock::now() + grace, status))
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::cerr << "cluster-bench: process " << pid << " ignored SIGTERM for "
            << grace.count() << " ms, killing it" << std::endl;
  kill(pid, SIGKILL);
  if (!wait_until(pid, steady_clock::now() + std::chrono::seconds{5}, status))
    std::cerr << "cluster-bench: process " << pid
              << " still there 5 s after SIGKILL" << std::endl;
  return false;
}

void exit_with_parent(long parent, int signal) {
  if (parent <= 0)
    return;
  prctl(PR_SET_PDEATHSIG, signal);
  // The parent may have died before the prctl: then nobody would signal us.
  if (static_cast<long>(getppid()) != parent)
    std::_Exit(1);
}

std::vector<double> run_in_child(workload w, side s, int argc, char** argv,
                                 const std::vector<std::string>& extra) {
  std::vector<std::string> args{self_path()};
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i]);
  args.insert(args.end(), extra.begin(), extra.end());
  args.emplace_back("--parent");
  args.push_back(std::to_string(getpid()));
  args.emplace_back("--child");
  args.push_back(std::string{to_string(w)} + ":" + flag_name(s));
  auto child = start_process(args);
  auto deadline = steady_clock::now() + child_timeout;
  std::string out;
  char buf[4096];
  bool timed_out = false;
  for (;;) {
    pollfd p{child.out_fd, POLLIN, 0};
    auto rc = poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc == 0) {
      timed_out = true;
      break;
    }
    auto n = read(child.out_fd, buf, sizeof(buf));
    if (n > 0)
      out.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  close(child.out_fd);
  std::string what = std::string{"the "} + to_string(w) + " run on "
                     + to_string(s);
  if (timed_out) {
    kill(child.pid, SIGKILL);
    int status = 0;
    wait_until(child.pid, steady_clock::now() + std::chrono::seconds{5},
               status);
    die(what + " took longer than 15 minutes; killed it");
  }
  int status = 0;
  // Its stdout closed: it exits now (or hangs in a teardown, which we bound).
  if (!wait_until(child.pid, steady_clock::now() + std::chrono::seconds{30},
                  status)) {
    stop_process(child.pid, milliseconds{0});
    die(what + " did not exit after printing its figures");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die(what + " failed");
  std::vector<double> result;
  std::istringstream in{out};
  double x = 0;
  while (in >> x)
    result.push_back(x);
  return result;
}

} // namespace bench
