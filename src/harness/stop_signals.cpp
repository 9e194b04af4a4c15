#include "src/harness/stop_signals.h"

#include <signal.h>

#include <csignal>

namespace actlab {

namespace {

// The stop signal the sweep received (0: none). The handler is installed without SA_RESTART
// and the sweep's wait loop polls, so a signal is seen within kPollInterval even while every
// run trains (with std::signal, glibc restarts waitpid and the runs trained on to the end).
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_stop_signals = 0;  // how many arrived: a second one kills at once

extern "C" void on_stop_signal(int number) {
  if (g_stop_signal == 0) g_stop_signal = number;
  g_stop_signals = g_stop_signals + 1;
}

}  // namespace

void install_stop_handlers() {
  g_stop_signal = 0;
  g_stop_signals = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART
  for (const int number : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(number, &action, nullptr);
}

bool stopping() {
  return g_stop_signal != 0;
}

int stop_signal() {
  return static_cast<int>(g_stop_signal);
}

int stop_signals_received() {
  return static_cast<int>(g_stop_signals);
}

int stopped_exit_code() {
  return 128 + stop_signal();
}

}  // namespace actlab
