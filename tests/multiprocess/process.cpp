#include "multiprocess/process.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace caf_cluster::multiprocess {

namespace {

[[noreturn]] void fail(const std::string& what, int code = errno) {
  throw std::runtime_error(what + ": " + std::strerror(code));
}

constexpr const char* setpriv = "/usr/bin/setpriv";

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - clock_type::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

} // namespace

double seconds_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string exit_status::to_string() const {
  if (code)
    return "exit " + std::to_string(*code);
  if (signal)
    return "signal " + std::to_string(*signal);
  return "unknown";
}

// -- process ------------------------------------------------------------------

std::vector<std::string>
environment_without(const std::vector<std::string>& names) {
  std::vector<std::string> result;
  for (auto p = environ; *p != nullptr; ++p) {
    std::string entry{*p};
    auto name = entry.substr(0, entry.find('='));
    if (std::find(names.begin(), names.end(), name) == names.end())
      result.push_back(std::move(entry));
  }
  return result;
}

process::process(std::string program, std::vector<std::string> args,
                 const spawn_options& opts) {
  command_line_ = program;
  for (auto& arg : args)
    command_line_ += " " + arg;
  int out_pipe[2];
  int err_pipe[2];
  // O_CLOEXEC: no child inherits another child's pipe ends, so a pipe closes
  // exactly when its own child exits.
  if (pipe2(out_pipe, O_CLOEXEC) != 0)
    fail("pipe2");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    auto code = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    fail("pipe2", code);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!opts.cwd.empty())
    posix_spawn_file_actions_addchdir_np(&actions, opts.cwd.c_str());
  // The child starts with an empty signal mask and default dispositions,
  // whatever the test process (and CAF's threads in it) changed.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (auto sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  // When the test process dies without running destructors (a crash, or
  // CTest's SIGKILL on a timeout) the children must not outlive it: setpriv
  // (util-linux) sets PR_SET_PDEATHSIG and execs the program under the same
  // pid. The signal follows the death of the spawning *thread*, so children
  // are spawned from the test's main thread only.
  std::vector<std::string> words;
  if (::access(setpriv, X_OK) == 0)
    words = {setpriv, "--pdeathsig", "KILL", "--"};
  words.push_back(program);
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : words)
    argv.push_back(word.data());
  argv.push_back(nullptr);
  auto envp = environ;
  std::vector<std::string> env_words;
  std::vector<char*> env_ptrs;
  if (opts.env) {
    env_words = *opts.env;
    for (auto& word : env_words)
      env_ptrs.push_back(word.data());
    env_ptrs.push_back(nullptr);
    envp = env_ptrs.data();
  }
  auto rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (rc != 0) {
    close_fd(out_fd_);
    close_fd(err_fd_);
    pid_ = -1;
    fail("posix_spawn " + program, rc);
  }
}

process::~process() {
  kill_and_reap();
  close_fd(out_fd_);
  close_fd(err_fd_);
}

void process::pump(int timeout_ms) {
  pollfd fds[2];
  nfds_t n = 0;
  if (out_fd_ >= 0)
    fds[n++] = pollfd{out_fd_, POLLIN, 0};
  if (err_fd_ >= 0)
    fds[n++] = pollfd{err_fd_, POLLIN, 0};
  if (n == 0) {
    if (timeout_ms > 0)
      std::this_thread::sleep_for(
        std::chrono::milliseconds{std::min(timeout_ms, 10)});
    return;
  }
  auto ready = ::poll(fds, n, timeout_ms);
  if (ready <= 0)
    return;
  for (nfds_t i = 0; i < n; ++i) {
    if (fds[i].revents == 0)
      continue;
    char buf[4096];
    auto got = ::read(fds[i].fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR)
      continue;
    auto& target = fds[i].fd == out_fd_ ? out_ : err_;
    if (got > 0) {
      target.append(buf, static_cast<size_t>(got));
    } else {
      // EOF (or an error): this stream is done.
      if (fds[i].fd == out_fd_)
        close_fd(out_fd_);
      else
        close_fd(err_fd_);
    }
  }
}

std::optional<std::string> process::read_line(clock_type::time_point deadline) {
  for (;;) {
    auto nl = out_.find('\n');
    if (nl != std::string::npos)
      return out_.substr(0, nl);
    if (out_fd_ < 0 || clock_type::now() >= deadline)
      return std::nullopt;
    pump(remaining_ms(deadline));
  }
}

void process::drain() {
  for (int i = 0; i < 16 && (out_fd_ >= 0 || err_fd_ >= 0); ++i) {
    auto before = out_.size() + err_.size();
    pump(0);
    if (out_.size() + err_.size() == before)
      return;
  }
}

void process::signal(int sig) {
  if (pid_ > 0 && !status_)
    ::kill(pid_, sig);
}

bool process::try_reap() {
  if (status_ || pid_ <= 0)
    return true;
  int raw = 0;
  auto rc = ::waitpid(pid_, &raw, WNOHANG);
  if (rc == 0)
    return false;
  exit_status st;
  if (rc == pid_) {
    if (WIFEXITED(raw))
      st.code = WEXITSTATUS(raw);
    else if (WIFSIGNALED(raw))
      st.signal = WTERMSIG(raw);
  }
  status_ = st;
  return true;
}

std::optional<exit_status> process::wait(clock_type::time_point deadline) {
  for (;;) {
    if (out_fd_ < 0 && err_fd_ < 0) {
      // Both pipes closed: the process exited (or closed them itself).
      if (try_reap())
        return status_;
      if (clock_type::now() >= deadline)
        return std::nullopt;
      std::this_thread::sleep_for(5ms);
      continue;
    }
    if (clock_type::now() >= deadline) {
      if (try_reap()) {
        drain();
        return status_;
      }
      return std::nullopt;
    }
    pump(std::min(remaining_ms(deadline), 50));
    // A grandchild could keep the pipes open; the exit status decides.
    if (try_reap()) {
      drain();
      return status_;
    }
  }
}

void process::kill_and_reap() {
  if (pid_ <= 0 || status_)
    return;
  ::kill(pid_, SIGKILL);
  // SIGKILL cannot be caught, so this only waits for the kernel.
  wait(clock_type::now() + 5s);
}

// -- process_group ------------------------------------------------------------

process_group::~process_group() {
  // Kill everything first, then reap, so the runners die together.
  for (auto& child : children_)
    child.signal(SIGKILL);
  for (auto& child : children_)
    child.kill_and_reap();
}

process& process_group::spawn(const std::string& program,
                              std::vector<std::string> args,
                              const spawn_options& opts) {
  return children_.emplace_back(program, std::move(args), opts);
}

// -- free functions -----------------------------------------------------------

run_result run(const std::string& program, std::vector<std::string> args,
               clock_type::duration timeout, const spawn_options& opts) {
  auto start = clock_type::now();
  process child{program, std::move(args), opts};
  run_result result;
  result.status = child.wait(start + timeout);
  if (!result.status)
    child.kill_and_reap();
  result.out = child.out();
  result.err = child.err();
  result.seconds = seconds_between(start, clock_type::now());
  return result;
}

uint16_t pick_free_port(const std::string& host) {
  auto fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("pick_free_port: not an IPv4 address: " + host);
  }
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    auto code = errno;
    ::close(fd);
    fail("bind " + host + ":0", code);
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    auto code = errno;
    ::close(fd);
    fail("getsockname", code);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool is_one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n'
    && text.find('\n') == text.size() - 1;
}

temp_dir::temp_dir() {
  auto pattern = (std::filesystem::temp_directory_path()
                  / "caf_cluster_multiprocess_XXXXXX")
                   .string();
  if (mkdtemp(pattern.data()) == nullptr)
    fail("mkdtemp " + pattern);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

} // namespace caf_cluster::multiprocess
