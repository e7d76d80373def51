// SignalSource without signalfd (base/signal_source.h): a thread takes the blocked signals with
// sigwait(3), which every POSIX system has, and writes each one's number to a pipe that the
// poll loop reads.
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/signal_source.h"

namespace ipvsd {

struct SignalSource::State {
  sigset_t signals;
  int wake_read = -1;
  int wake_write = -1;
  std::atomic<bool> stop{false};
  std::thread waiter;

  void Wait() {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (stop.load()) return;
      const unsigned char byte = static_cast<unsigned char>(sig);
      [[maybe_unused]] ssize_t n = write(wake_write, &byte, 1);
    }
  }
};

Result<SignalSource> SignalSource::Open(const sigset_t& signals) {
  auto state = std::make_unique<State>();
  state->signals = signals;
  int ends[2];
  if (pipe(ends) != 0) return MakeError(errno, std::string("pipe: ") + std::strerror(errno));
  for (int fd : ends) fcntl(fd, F_SETFD, FD_CLOEXEC);
  fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK);
  state->wake_read = ends[0];
  state->wake_write = ends[1];
  State* s = state.get();
  state->waiter = std::thread([s] { s->Wait(); });
  return SignalSource(std::move(state));
}

SignalSource::SignalSource(std::unique_ptr<State> state) : state_(std::move(state)) {}
SignalSource::SignalSource(SignalSource&& other) noexcept = default;

SignalSource::~SignalSource() {
  if (!state_) return;
  // A signal of the set sent to the waiter itself ends its sigwait; it then sees stop.
  state_->stop.store(true);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&state_->signals, sig) == 1) {
      pthread_kill(state_->waiter.native_handle(), sig);
      break;
    }
  }
  state_->waiter.join();
  close(state_->wake_read);
  close(state_->wake_write);
}

int SignalSource::fd() const { return state_->wake_read; }

int SignalSource::Next() {
  unsigned char byte = 0;
  if (read(state_->wake_read, &byte, 1) == 1) return byte;
  // A signal sent to this thread itself (pthread_kill) stays pending here, out of the waiter's
  // sight: take it now. sigwait returns at once for a pending signal.
  sigset_t pending;
  if (sigpending(&pending) != 0) return 0;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&state_->signals, sig) != 1 || sigismember(&pending, sig) != 1) continue;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    int taken = 0;
    if (sigwait(&one, &taken) == 0) return taken;
  }
  return 0;
}

}  // namespace ipvsd
