// The one process launcher (src/core/process.h) against real programs: /bin/sh.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "src/core/files.h"
#include "src/core/process.h"
#include "tests/helpers.h"

using actlab::ProcessOptions;
using actlab::run_process;
using actlab::start_process;
using actlab::Streams;

namespace {

int wait_code(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return actlab::wait_status_code(status);
}

}  // namespace

TEST_CASE("run_process captures stdout and stderr, merged or apart, and the exit code",
          "[unit][process]") {
  const std::vector<std::string> both = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
  const auto apart = run_process(both, Streams::separate);
  CHECK(apart.exit_code == 3);
  CHECK(apart.out == "out\n");
  CHECK(apart.err == "err\n");
  const auto merged = run_process(both);
  CHECK(merged.exit_code == 3);
  CHECK(merged.out == "out\nerr\n");
  CHECK(merged.err.empty());
  // A large stderr does not block a child whose stdout is read (both pipes at once).
  const auto chatty =
      run_process({"/bin/sh", "-c", "head -c 300000 /dev/zero >&2; echo done"}, Streams::separate);
  CHECK(chatty.exit_code == 0);
  CHECK(chatty.err.size() == 300000);
  CHECK(chatty.out == "done\n");
}

TEST_CASE("a program that is not there exits 127, one killed by a signal gives 128 + N",
          "[unit][process]") {
  CHECK(run_process({"actlab-no-such-program"}).exit_code == 127);
  CHECK(run_process({"/bin/sh", "-c", "kill -9 $$"}).exit_code == 128 + 9);
  CHECK(run_process({"sh", "-c", "exit 0"}).exit_code == 0);  // a name is looked up on PATH
}

TEST_CASE("start_process writes into its output file, truncated or appended", "[unit][process]") {
  actlab::testing::TempDir dir;
  const auto log = dir.path() / "log.txt";
  ProcessOptions options;
  options.output_file = log;
  CHECK(wait_code(start_process({"/bin/sh", "-c", "echo first; echo second >&2"}, options)) == 0);
  CHECK(actlab::read_file(log) == "first\nsecond\n");
  options.append = true;
  CHECK(wait_code(start_process({"/bin/sh", "-c", "echo third; exit 5"}, options)) == 5);
  CHECK(actlab::read_file(log) == "first\nsecond\nthird\n");
  options.append = false;
  CHECK(wait_code(start_process({"/bin/sh", "-c", "echo anew"}, options)) == 0);
  CHECK(actlab::read_file(log) == "anew\n");
}

TEST_CASE("a child started with die_with_parent is killed when its parent dies",
          "[unit][process]") {
  actlab::testing::TempDir dir;
  const auto pid_file = dir.path() / "child.pid";
  // An intermediate process starts the child and exits; the child must not outlive it.
  const pid_t parent = ::fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    ProcessOptions options;
    options.die_with_parent = true;
    start_process({"/bin/sh", "-c", "echo $$ > '" + pid_file.string() + "'; exec sleep 60"},
                  options);
    for (int i = 0; i < 500 && !std::filesystem::exists(pid_file); ++i) ::usleep(10000);
    ::usleep(100000);  // the child's write ended
    ::_exit(0);
  }
  CHECK(wait_code(parent) == 0);
  REQUIRE(std::filesystem::exists(pid_file));
  const pid_t child = std::stoi(actlab::read_file(pid_file));
  // Killed: gone, or a zombie until whoever adopted it reaps it (sleep 60 would still be 'S').
  auto dead = [&] {
    std::ifstream stat(fmt::format("/proc/{}/stat", child));
    std::string pid, name, state;
    return !(stat >> pid >> name >> state) || state == "Z";
  };
  bool gone = dead();
  for (int i = 0; i < 300 && !gone; ++i) {
    ::usleep(10000);
    gone = dead();
  }
  CHECK(gone);
}
