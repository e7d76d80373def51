// File: health/probe_test.cc
//
// HTTP_GET's verdict (status ranges, MD5 digest) and the MD5 itself (RFC 1321 test suite);
// MISC_CHECK's verdict on real commands (keepalived's exit rule, misc_dynamic weights) and its
// one log line for a script that cannot run.
#include "health/probe.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "health/md5.h"

namespace ipvsd::health {
namespace {

constexpr uint64_t kFarDeadline = ~uint64_t{0};

// Starts COMMAND as healthd does and feeds it the exit, as healthd's SIGCHLD handling does.
ProbeOutcome RunCommand(const std::string& command, bool dynamic = false) {
  std::unique_ptr<Probe> probe = CommandProbe::Start(command, kFarDeadline, dynamic);
  for (;;) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) return probe->OnTimeout();
    if (std::optional<ProbeOutcome> out = probe->OnChildExit(pid, status)) return *out;
  }
}

// keepalived's check_misc.c counts only 0 as success; before, anything but 1 was.
TEST(CommandProbe, OnlyExitZeroPasses) {
  const ProbeOutcome pass = RunCommand("exit 0");
  EXPECT_TRUE(pass.ok);
  EXPECT_FALSE(pass.weight);
  for (const char* failing : {"exit 1", "exit 2", "exit 126", "exit 127", "exit 255", "kill -KILL $$", "if then fi"}) {
    const ProbeOutcome out = RunCommand(failing);
    EXPECT_FALSE(out.ok) << failing << ": " << out.detail;
    EXPECT_FALSE(out.weight) << failing;
  }
  EXPECT_TRUE(RunCommand("kill -KILL $$").not_run);
  EXPECT_FALSE(RunCommand("exit 1").not_run);
}

TEST(CommandProbe, ScriptThatCannotRunFails) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "health_probe_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path script = dir / "not-executable.sh";
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  chmod(script.c_str(), 0644);
  const ProbeOutcome not_executable = RunCommand(script.string(), true);
  EXPECT_FALSE(not_executable.ok);
  EXPECT_TRUE(not_executable.not_run);
  EXPECT_EQ(not_executable.detail, "exit status 126 (the shell cannot execute it)");
  const ProbeOutcome missing = RunCommand((dir / "missing.sh").string(), true);
  EXPECT_FALSE(missing.ok);
  EXPECT_TRUE(missing.not_run);
  EXPECT_EQ(missing.detail, "exit status 127 (the shell cannot find it)");
  std::filesystem::remove_all(dir);
}

TEST(CommandProbe, TimeoutFailsWithoutAVerdict) {
  std::unique_ptr<Probe> probe = CommandProbe::Start("sleep 30", kFarDeadline, false);
  const ProbeOutcome out = probe->OnTimeout();
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.not_run);
  EXPECT_EQ(out.detail, "timed out");
}

TEST(CommandProbe, MiscDynamicExitSetsTheWeight) {
  const ProbeOutcome seven = RunCommand("exit 7", true);
  EXPECT_TRUE(seven.ok);
  EXPECT_EQ(seven.weight, 5);
  // 0 is keepalived's legacy form: a pass that leaves the weight as it is.
  const ProbeOutcome zero = RunCommand("exit 0", true);
  EXPECT_TRUE(zero.ok);
  EXPECT_FALSE(zero.weight);
  EXPECT_FALSE(RunCommand("exit 1", true).ok);
}

TEST(JudgeMiscExit, KeepalivedsRule) {
  for (int code = 0; code <= 255; ++code) {
    const ProbeOutcome plain = JudgeMiscExit(W_EXITCODE(code, 0), false);
    EXPECT_EQ(plain.ok, code == 0) << code;
    EXPECT_FALSE(plain.weight) << code;
    EXPECT_EQ(plain.exit_status, code);
    const ProbeOutcome dynamic = JudgeMiscExit(W_EXITCODE(code, 0), true);
    const bool shell_status = code == 126 || code == 127;
    EXPECT_EQ(dynamic.ok, code == 0 || (code >= 2 && !shell_status)) << code;
    EXPECT_EQ(dynamic.not_run, shell_status) << code;
    if (dynamic.ok && code >= 2) {
      EXPECT_EQ(dynamic.weight, code - 2) << code;
    }
  }
  EXPECT_EQ(JudgeMiscExit(W_EXITCODE(255, 0), true).weight, 253);  // the largest weight a script can set
  const ProbeOutcome killed = JudgeMiscExit(W_EXITCODE(0, SIGTERM), true);
  EXPECT_FALSE(killed.ok);
  EXPECT_TRUE(killed.not_run);
  EXPECT_EQ(killed.exit_status, -1);
}

// A missing script fails every round; it is logged once, and again only after it ran.
TEST(MiscRunLog, MissingScriptIsLoggedOnce) {
  MiscRunLog log;
  int lines = 0;
  for (int round = 0; round < 3; ++round) {
    const ProbeOutcome out = RunCommand("/nonexistent/check.sh");
    EXPECT_FALSE(out.ok);
    lines += log.ShouldLog(out);
  }
  EXPECT_EQ(lines, 1);
  EXPECT_FALSE(log.ShouldLog(RunCommand("exit 1")));  // ran: an ordinary failure, not this message
  EXPECT_TRUE(log.ShouldLog(RunCommand("/nonexistent/check.sh")));
  EXPECT_FALSE(log.ShouldLog(RunCommand("/nonexistent/check.sh")));
}

TEST(Md5, Rfc1321Vectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Md5Hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(EvaluateHttp, StatusAndDigest) {
  const std::string reply = "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nrs1\n";
  UrlCheck url;
  EXPECT_TRUE(EvaluateHttp(reply, url).ok);  // any 2xx
  url.statuses = {{301, 302}};
  EXPECT_FALSE(EvaluateHttp(reply, url).ok);
  url.statuses = {{200, 200}};
  url.digest = Md5Hex("rs1\n");
  EXPECT_TRUE(EvaluateHttp(reply, url).ok);
  url.digest = Md5Hex("rs2\n");
  EXPECT_FALSE(EvaluateHttp(reply, url).ok);
  EXPECT_FALSE(EvaluateHttp("HTTP/1.1 503 Busy\r\n\r\n", UrlCheck{}).ok);
  EXPECT_FALSE(EvaluateHttp("rs1\n", UrlCheck{}).ok);
  EXPECT_FALSE(EvaluateHttp("HTTP/1.0 2x0 OK\r\n\r\n", UrlCheck{}).ok);
}

// keepalived's check_http.c: "Connection: close" with http_protocol 1.0C and 1.1 only.
TEST(HttpRequest, AsKeepalivedSendsIt) {
  UrlCheck url;
  url.path = "/health";
  EXPECT_EQ(HttpRequest(url, "198.18.1.11:80"),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 198.18.1.11:80\r\n\r\n");
  EXPECT_EQ(HttpRequest(url, "www.example", "1.0C"),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: www.example\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(HttpRequest(url, "www.example", "1.1"),
            "GET /health HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nHost: www.example\r\nConnection: close\r\n\r\n");
}

TEST(EvaluateHttp, RegexOnTheBody) {
  const char kReply[] = "HTTP/1.0 200 OK\r\nX-Status: ready\r\n\r\nstatus: READY\0tail ok";
  const std::string reply(kReply, sizeof kReply - 1);
  UrlCheck url;
  url.regex = "status: (ready|up)";
  EXPECT_FALSE(EvaluateHttp(reply, url).ok);  // the header does not count, and case matters
  url.regex_caseless = true;
  EXPECT_TRUE(EvaluateHttp(reply, url).ok);
  url.regex_no_match = true;
  const ProbeOutcome no_match = EvaluateHttp(reply, url);
  EXPECT_FALSE(no_match.ok);
  EXPECT_EQ(no_match.detail, "body matches regex 'status: (ready|up)'");
  url.regex_no_match = false;
  url.regex_min_offset = 1;  // the only match starts at 0
  EXPECT_FALSE(EvaluateHttp(reply, url).ok);
  // Past a NUL byte, at body offset 14; a match must start at most at regex_max_offset.
  url.regex = "tail (ok|fine)";
  url.regex_min_offset = 0;
  EXPECT_TRUE(EvaluateHttp(reply, url).ok);
  url.regex_max_offset = 13;
  EXPECT_FALSE(EvaluateHttp(reply, url).ok);
  url.regex_max_offset = 14;
  EXPECT_TRUE(EvaluateHttp(reply, url).ok);
  url.statuses = {{300, 399}};  // the status is judged first
  EXPECT_EQ(EvaluateHttp(reply, url).detail, "HTTP status 200");
}

}  // namespace
}  // namespace ipvsd::health
