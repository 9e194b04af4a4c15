#include "src/core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "src/core/error.h"

namespace actlab {

namespace {

// In the child, after fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& argument : argv) args.push_back(const_cast<char*>(argument.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());  // a name with '/' is taken as a path, as execv would
  ::_exit(127);
}

pid_t fork_or_throw(const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("cannot start a process: no program named");
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot start " + argv[0] + ": fork failed (too many processes?)");
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return wait_status_code(status);
}

}  // namespace

int wait_status_code(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

pid_t start_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  const std::string output = options.output_file.string();
  const pid_t parent = ::getpid();
  const pid_t pid = fork_or_throw(argv);
  if (pid == 0) {
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
    }
    if (!output.empty()) {
      const int fd =
          ::open(output.c_str(), O_WRONLY | O_CREAT | (options.append ? O_APPEND : O_TRUNC), 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
      }
    }
    exec_child(argv);
  }
  return pid;
}

ProcessOutput run_process(const std::vector<std::string>& argv, Streams streams) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0) throw Error("cannot start " + argv.at(0) + ": pipe failed");
  if (::pipe(err_pipe) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw Error("cannot start " + argv.at(0) + ": pipe failed (too many open files?)");
  }
  const pid_t pid = fork_or_throw(argv);
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(streams == Streams::merged ? out_pipe[1] : err_pipe[1], STDERR_FILENO);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    exec_child(argv);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ProcessOutput result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  result.exit_code = wait_for(pid);
  return result;
}

}  // namespace actlab
