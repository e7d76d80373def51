// File: base/log.h
//
// A minimal logging facade for the control plane (never called per packet). Messages go to
// stderr as "ipvsd[level]: text"; the threshold is set once at start-up (--log-level).
#pragma once

#include <cstdarg>
#include <string_view>

namespace ipvsd {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning", "error" or "off"; returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* out);

void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace ipvsd
