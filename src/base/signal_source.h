// File: base/signal_source.h
//
// A descriptor that becomes readable when one of a set of signals arrives, for a poll loop
// (ipvs-healthd's): Linux's signalfd (signal_source_linux.cc), and in the portable build a
// thread in sigwait(3) writing each signal to a pipe (signal_source_portable.cc), both with the
// signals blocked in every thread, so that they reach this source and no handler.
//
//   sigprocmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts
//   auto source = SignalSource::Open(signals);
//   poll({source->fd(), POLLIN}, ...);
//   while (int sig = source->Next()) ...
#pragma once

#include <signal.h>

#include <memory>

#include "base/result.h"

namespace ipvsd {

class SignalSource {
 public:
  static Result<SignalSource> Open(const sigset_t& signals);
  SignalSource(SignalSource&& other) noexcept;
  SignalSource& operator=(SignalSource&&) = delete;
  ~SignalSource();

  int fd() const;
  // The next signal that arrived, or 0 when none is waiting. Never blocks. A signal sent to
  // the calling thread itself (pthread_kill) makes fd() readable only with signalfd; the
  // portable source finds it here, so call Next() on every turn of the loop, not only when
  // fd() is readable.
  int Next();

 private:
  struct State;
  explicit SignalSource(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ipvsd
