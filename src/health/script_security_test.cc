// File: health/script_security_test.cc
//
// keepalived 2.2.7's script users and script security (lib/notify.c, check_misc.c): script_user
// and a script's own USER [GROUP] decide who runs it; a script root would run whose file or
// directories others can write is flagged, and with enable_script_security not run: a notify
// or quorum script is dropped, a MISC_CHECK is removed from its real server.
#include "health/script_security.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "health/config.h"
#include "health/pool.h"
#include "health/recording_ops_test_util.h"

namespace ipvsd::health {
namespace {

// A directory DIR with an executable script in it; DIR's mode as given.
class ScriptDir {
 public:
  explicit ScriptDir(mode_t mode) {
    char tmpl[] = "/tmp/script_security_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    script_ = dir_ + "/check.sh";
    std::ofstream(script_) << "#!/bin/sh\nexit 0\n";
    chmod(script_.c_str(), 0755);
    chmod(dir_.c_str(), mode);
  }
  ~ScriptDir() { std::system(("rm -rf " + dir_).c_str()); }
  const std::string& dir() const { return dir_; }
  const std::string& script() const { return script_; }

 private:
  std::string dir_;
  std::string script_;
};

constexpr uid_t kNobody = 65534;

TEST(ScriptSecurity, AScriptRootRunsMustBeWritableByRootOnly) {
  ScriptDir open_dir(0777);
  ScriptSecurity s = CheckScriptSecurity(open_dir.script() + " arg", 0, 0);
  EXPECT_TRUE(s.insecure);
  EXPECT_EQ(s.detail.rfind(open_dir.dir() + " is ", 0), 0u) << s.detail;
  // Run as another user, nothing needs protecting (keepalived's need_script_protection).
  EXPECT_FALSE(CheckScriptSecurity(open_dir.script(), kNobody, kNobody).insecure);
  // A bare name is looked up in $PATH, as the shell would.
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path != nullptr ? old_path : "";
  setenv("PATH", ("/nonexistent:" + open_dir.dir()).c_str(), 1);
  s = CheckScriptSecurity("check.sh", 0, 0);
  setenv("PATH", saved.c_str(), 1);
  EXPECT_TRUE(s.insecure);
  // The system's shell: root's files in root's directories (links resolved).
  EXPECT_FALSE(CheckScriptSecurity("/bin/sh -c true", 0, 0).insecure);
  // What cannot be found has nothing to protect; the shell reports it when it runs.
  EXPECT_FALSE(CheckScriptSecurity("/nonexistent/check.sh", 0, 0).insecure);
  EXPECT_FALSE(CheckScriptSecurity("no-such-command-anywhere", 0, 0).insecure);
}

TEST(ScriptSecurity, RootsOwnStickyDirectoriesAndGroupsAreJudgedAsKeepalivedDoes) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to own the files";
  ScriptDir sticky(01777);  // as /tmp: anyone may write, no one may replace another's file
  EXPECT_FALSE(CheckScriptSecurity(sticky.script(), 0, 0).insecure);
  ScriptDir closed(0755);
  EXPECT_FALSE(CheckScriptSecurity(closed.script(), 0, 0).insecure);
  ASSERT_EQ(chown(closed.script().c_str(), 0, kNobody), 0);
  ASSERT_EQ(chmod(closed.script().c_str(), 0775), 0);
  ScriptSecurity s = CheckScriptSecurity(closed.script(), 0, 0);
  EXPECT_TRUE(s.insecure);
  EXPECT_EQ(s.detail, closed.script() + " is writable by group 65534");
  ASSERT_EQ(chmod(closed.script().c_str(), 0755), 0);
  ASSERT_EQ(chown(closed.script().c_str(), kNobody, 0), 0);
  s = CheckScriptSecurity(closed.script(), 0, 0);
  EXPECT_EQ(s.detail, closed.script() + " is owned by uid 65534");
  // Run as gid 0 it needs protecting too.
  EXPECT_TRUE(CheckScriptSecurity(closed.script(), kNobody, 0).insecure);
}

std::string Conf(const std::string& globals, const std::string& rs_body) {
  return "global_defs {\n router_id x\n" + globals + "}\n"
         "virtual_server 198.19.0.1 80 {\n quorum_up /bin/true\n"
         " real_server 198.18.1.11 80 {\n" + rs_body + " }\n}\n";
}

TEST(ScriptSecurityConfig, EnableScriptSecurityDropsWhatRootWouldRunInsecurely) {
  ScriptDir open_dir(0777);
  const std::string body = "  notify_up \"" + open_dir.script() + " up\"\n  TCP_CHECK {\n  }\n"
                           "  MISC_CHECK {\n   misc_path \"" + open_dir.script() + " arg\"\n  }\n";
  auto cfg = ParseConfigText(Conf(" script_user root\n enable_script_security\n", body), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const RealServerConfig& rs = cfg->virtual_servers[0].real_servers[0];
  // keepalived removes the MISC_CHECK (check_misc_script_security): only the TCP_CHECK is left.
  ASSERT_EQ(rs.checkers.size(), 1u);
  EXPECT_EQ(rs.checkers[0].kind, CheckerKind::kTcp);
  EXPECT_TRUE(rs.notify_up.empty());
  EXPECT_EQ(cfg->virtual_servers[0].quorum_up.command, "/bin/true");
  EXPECT_EQ(cfg->virtual_servers[0].quorum_up.run_as, (RunAs{0, 0}));
  std::vector<std::string> disabled;
  for (const std::string& n : cfg->notices) {
    if (n.find("disabled") != std::string::npos) disabled.push_back(n);
  }
  ASSERT_EQ(disabled.size(), 2u);
  EXPECT_EQ(disabled[0].rfind("k.conf:9: notify_up script '" + open_dir.script() + " up' disabled: it would run as root and " +
                                  open_dir.dir() + " is ",
                              0),
            0u)
      << disabled[0];
  EXPECT_EQ(disabled[1].rfind("k.conf:12: MISC_CHECK script '" + open_dir.script() + " arg' disabled", 0), 0u) << disabled[1];

  // Without enable_script_security keepalived runs them and warns.
  cfg = ParseConfigText(Conf(" script_user root\n", body), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[0].checkers.size(), 2u);
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[0].notify_up.command, open_dir.script() + " up");
  size_t warnings = 0;
  for (const std::string& n : cfg->notices) warnings += n.find(": warning: ") != std::string::npos;
  EXPECT_EQ(warnings, 2u);

  // Run as nobody there is nothing root could be made to run.
  cfg = ParseConfigText(Conf(" script_user nobody nogroup\n enable_script_security\n", body), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const RealServerConfig& as_nobody = cfg->virtual_servers[0].real_servers[0];
  ASSERT_EQ(as_nobody.checkers.size(), 2u);
  EXPECT_EQ(as_nobody.checkers[1].misc_user, (RunAs{kNobody, kNobody}));
  EXPECT_EQ(as_nobody.notify_up.run_as, (RunAs{kNobody, kNobody}));
}

TEST(ScriptSecurityConfig, AScriptsOwnUserComesBeforeScriptUser) {
  auto cfg = ParseConfigText(Conf(" script_user nobody\n",
                                  "  notify_up \"/bin/echo up\" root\n  notify_down /bin/true nobody root\n"
                                  "  MISC_CHECK {\n   misc_path /bin/true\n   user root\n  }\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const RealServerConfig& rs = cfg->virtual_servers[0].real_servers[0];
  EXPECT_EQ(rs.notify_up.command, "/bin/echo up");
  EXPECT_EQ(rs.notify_up.run_as, (RunAs{0, 0}));
  EXPECT_EQ(rs.notify_down.run_as, (RunAs{kNobody, 0}));
  EXPECT_EQ(rs.checkers[0].misc_user, (RunAs{0, 0}));
  EXPECT_EQ(cfg->virtual_servers[0].quorum_up.run_as, (RunAs{kNobody, kNobody}));
}

TEST(ScriptSecurityConfig, UnknownUsersAndBadScriptLinesAreErrors) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {Conf(" script_user no-such-user-here\n", ""), "k.conf:3: user 'no-such-user-here' does not exist"},
      {Conf(" script_user nobody no-such-group-here\n", ""), "k.conf:3: group 'no-such-group-here' does not exist"},
      {Conf("", "  notify_up /bin/echo up now\n"), "k.conf:7: user 'up' does not exist"},
      {Conf("", "  notify_up /bin/true a b c\n"),
       "k.conf:7: 'notify_up' takes SCRIPT [USER [GROUP]] (quote a script with arguments)"},
      {Conf(" enable_script_security yes\n", ""), "k.conf:3: 'enable_script_security' takes 0 arguments"},
  };
  for (const Case& c : cases) {
    auto cfg = ParseConfigText(c.text, "k.conf");
    ASSERT_FALSE(cfg) << c.text;
    EXPECT_EQ(cfg.error().message, c.error) << c.text;
  }
}

// keepalived's get_default_script_user: with enable_script_security, a script without a user
// of its own needs script_user or the user keepalived_script; without either it does not run.
TEST(ScriptSecurityConfig, EnableScriptSecurityWithoutADefaultUserRunsNoDefaultScript) {
  if (getpwnam("keepalived_script") != nullptr) GTEST_SKIP() << "the user keepalived_script exists here";
  auto cfg = ParseConfigText(Conf(" enable_script_security\n",
                                  "  notify_up /bin/true root\n  MISC_CHECK {\n   misc_path /bin/true\n  }\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const VirtualServerConfig& vs = cfg->virtual_servers[0];
  EXPECT_TRUE(vs.quorum_up.empty());
  EXPECT_EQ(vs.real_servers[0].notify_up.command, "/bin/true");  // its own user
  EXPECT_TRUE(vs.real_servers[0].checkers.empty());
  const std::string want = "k.conf:6: quorum_up script '/bin/true' disabled: enable_script_security needs script_user "
                           "or the user keepalived_script (as keepalived)";
  EXPECT_NE(std::find(cfg->notices.begin(), cfg->notices.end(), want), cfg->notices.end());
  // Without enable_script_security they run as healthd's own user.
  cfg = ParseConfigText(Conf("", "  MISC_CHECK {\n   misc_path /bin/true\n  }\n"), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_FALSE(cfg->virtual_servers[0].real_servers[0].checkers[0].misc_user.has_value());
  EXPECT_FALSE(cfg->virtual_servers[0].quorum_up.run_as.has_value());
}

TEST(ScriptSecurityConfig, ThePoolRunsAScriptWithItsUser) {
  auto cfg = ParseConfigText(Conf(" script_user nobody\n", ""), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  NoOps ops;
  std::vector<NotifyScript> ran;
  VirtualServerPool pool(cfg->virtual_servers[0], &ops, [&](const NotifyScript& s) { ran.push_back(s); });
  pool.Start();
  ASSERT_EQ(ran.size(), 1u);
  EXPECT_EQ(ran[0].command, "/bin/true");
  EXPECT_EQ(ran[0].run_as, (RunAs{kNobody, kNobody}));
}

}  // namespace
}  // namespace ipvsd::health
