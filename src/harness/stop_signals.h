#pragma once

// How a sweep learns it must stop: SIGINT, SIGTERM and SIGHUP set a flag the stage runner polls
// (src/harness/sweep.cpp forwards them to its runs as SIGTERM, SIGKILL after a grace).

#include <chrono>

namespace actlab {

// How often the stage runner looks at its runs and the stop flag.
inline constexpr auto kPollInterval = std::chrono::milliseconds(100);
// How long stopped runs get to record themselves as interrupted before they are killed.
inline constexpr auto kStopGrace = std::chrono::seconds(10);

// Installs the handlers (without SA_RESTART, so a signal cuts a sleep short) and clears the flag.
void install_stop_handlers();

// Whether a stop signal arrived since install_stop_handlers().
bool stopping();

// The first stop signal's number (0: none), and how many arrived (a second one kills at once).
int stop_signal();
int stop_signals_received();

// The exit code of a stopped sweep: 128 + the signal, as a shell reports a killed process.
int stopped_exit_code();

}  // namespace actlab
