// File: health/feedback.cc
#include "health/feedback.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace ipvsd::health {
namespace {

// Bounds applied to what an agent claims (docs/dynamic-feedback.md, "Untrusted agents").
constexpr double kMaxRunq = 1e4;
constexpr double kMinNcpu = 0.01;
constexpr double kMaxNcpu = 4096;
constexpr double kMaxConns = 1e9;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

Result<LoadReport> ParseLoadReport(std::string_view reply) {
  if (reply.size() > kMaxAgentReply) return MakeError(EMSGSIZE, "agent reply longer than 512 bytes");
  size_t i = 0;
  auto skip = [&] {
    while (i < reply.size() && IsSpace(reply[i])) ++i;
  };
  auto bad = [](const std::string& why) { return MakeError(EBADMSG, "agent reply: " + why); };
  skip();
  if (i >= reply.size() || reply[i] != '{') return bad("not a JSON object");
  ++i;
  LoadReport r;
  bool have_cpu = false;
  skip();
  if (i < reply.size() && reply[i] == '}') return bad("no cpu");
  for (;;) {
    skip();
    if (i >= reply.size() || reply[i] != '"') return bad("key expected");
    const size_t close = reply.find('"', i + 1);
    if (close == std::string_view::npos) return bad("unterminated key");
    const std::string key(reply.substr(i + 1, close - i - 1));
    i = close + 1;
    skip();
    if (i >= reply.size() || reply[i] != ':') return bad("':' expected after \"" + key + "\"");
    ++i;
    skip();
    // strtod needs a terminated string; numbers are short.
    const std::string rest(reply.substr(i, std::min<size_t>(64, reply.size() - i)));
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str() || errno == ERANGE || !std::isfinite(v)) return bad("\"" + key + "\" is not a finite number");
    if (v < 0) return bad("\"" + key + "\" is negative");
    i += static_cast<size_t>(end - rest.c_str());
    if (key == "cpu") {
      r.cpu = std::min(v, 1.0);
      have_cpu = true;
    } else if (key == "runq") {
      r.runq = std::min(v, kMaxRunq);
    } else if (key == "ncpu") {
      r.ncpu = std::clamp(v, kMinNcpu, kMaxNcpu);
    } else if (key == "mem") {
      r.memory = std::min(v, 1.0);
    } else if (key == "conns") {
      r.conns = std::min(v, kMaxConns);
    }
    // Other keys are a newer agent's additions: ignored.
    skip();
    if (i < reply.size() && reply[i] == ',') {
      ++i;
      continue;
    }
    if (i < reply.size() && reply[i] == '}') {
      ++i;
      break;
    }
    return bad("',' or '}' expected");
  }
  skip();
  if (i != reply.size()) return bad("trailing bytes");
  if (!have_cpu) return bad("no cpu");
  return r;
}

double AggregateLoad(const LoadReport& r, const FeedbackConfig& cfg) {
  auto cap = [](double v) { return std::clamp(v, 0.0, kMaxComponentLoad); };
  return cfg.ratio_cpu * cap(r.cpu) + cfg.ratio_runq * cap(r.runq / r.ncpu) + cfg.ratio_memory * cap(r.memory) +
         cfg.ratio_conns * cap(r.conns / cfg.max_conns);
}

std::optional<int> FeedbackWeight::OnLoad(double aggregate) {
  load_ = have_load_ ? cfg_.smoothing * aggregate + (1 - cfg_.smoothing) * load_ : aggregate;
  have_load_ = true;
  const double gap = cfg_.target - load_;
  if (std::fabs(gap) < cfg_.deadband) return std::nullopt;
  weight_ = std::clamp(weight_ + cfg_.adjust * std::cbrt(gap), 0.0, cfg_.scale * configured_);
  return Apply();
}

std::optional<int> FeedbackWeight::Reset() {
  weight_ = configured_;
  return Apply();
}

std::optional<int> FeedbackWeight::Apply() {
  const int w = static_cast<int>(std::lround(weight_));
  if (w == applied_) return std::nullopt;
  applied_ = w;
  return w;
}

bool AllBelowConfigured(const std::vector<const FeedbackWeight*>& weights) {
  if (weights.empty()) return false;
  return std::all_of(weights.begin(), weights.end(),
                     [](const FeedbackWeight* w) { return w->applied() < w->configured(); });
}

}  // namespace ipvsd::health
