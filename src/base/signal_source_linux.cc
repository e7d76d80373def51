// SignalSource on Linux: a signalfd (base/signal_source.h).
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/signal_source.h"

namespace ipvsd {

struct SignalSource::State {
  int fd = -1;
};

Result<SignalSource> SignalSource::Open(const sigset_t& signals) {
  const int fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return MakeError(errno, std::string("signalfd: ") + std::strerror(errno));
  return SignalSource(std::make_unique<State>(State{fd}));
}

SignalSource::SignalSource(std::unique_ptr<State> state) : state_(std::move(state)) {}
SignalSource::SignalSource(SignalSource&& other) noexcept = default;

SignalSource::~SignalSource() {
  if (state_) close(state_->fd);
}

int SignalSource::fd() const { return state_->fd; }

int SignalSource::Next() {
  signalfd_siginfo info{};
  if (read(state_->fd, &info, sizeof(info)) != static_cast<ssize_t>(sizeof(info))) return 0;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace ipvsd
