// File: health/file_check_test.cc
//
// FILE_CHECK and track_file as keepalived 2.2.7's check_file.c and trackers/track_file.c
// define them: how a file's content reads as a number, how the number and the weight /
// reverse make a verdict and a weight share, init_file, the configuration keywords with their
// errors, and the pool starting from what the file says.
#include "health/file_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "health/pool.h"
#include "health/recording_ops_test_util.h"

namespace ipvsd::health {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/file_check_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }
  static std::string Read(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string path_;
};

TEST(FileCheck, TheValueIsReadAsStrtolWithBaseZeroReadsIt) {
  TempDir dir;
  EXPECT_EQ(ReadTrackFileValue(dir.path() + "/missing"), 0);
  EXPECT_EQ(ReadTrackFileValue(dir.Write("empty", "")), 0);
  EXPECT_EQ(ReadTrackFileValue(dir.Write("five", "5\n")), 5);
  EXPECT_EQ(ReadTrackFileValue(dir.Write("hex", "0x10")), 16);
  EXPECT_EQ(ReadTrackFileValue(dir.Write("words", "-3 apples")), -3);
  EXPECT_EQ(ReadTrackFileValue(dir.Write("text", "down")), 0);
  EXPECT_EQ(ReadTrackFileValue(dir.Write("edge", "2147483648")), 2147483648LL);
  // Out of range: keepalived ignores the value and keeps what it had.
  EXPECT_EQ(ReadTrackFileValue(dir.Write("big", "2147483649")), std::nullopt);
  EXPECT_EQ(ReadTrackFileValue(dir.Write("huge", "99999999999999999999999")), std::nullopt);
  EXPECT_EQ(ReadTrackFileValue(dir.path()), 0);  // a directory reads nothing
}

TEST(FileCheck, WeightZeroOnlySaysUpOrDown) {
  EXPECT_EQ(JudgeTrackFile(0, 0, false), (FileVerdict{true, 0}));
  EXPECT_EQ(JudgeTrackFile(3, 0, false), (FileVerdict{false, 0}));
  EXPECT_EQ(JudgeTrackFile(-1, 0, false), (FileVerdict{false, 0}));
  EXPECT_EQ(JudgeTrackFile(0, 0, true), (FileVerdict{false, 0}));
  EXPECT_EQ(JudgeTrackFile(3, 0, true), (FileVerdict{true, 0}));
}

TEST(FileCheck, AWeightScalesTheValueIntoTheServersWeight) {
  EXPECT_EQ(JudgeTrackFile(5, 2, false), (FileVerdict{true, 10}));
  EXPECT_EQ(JudgeTrackFile(5, 2, true), (FileVerdict{true, -10}));
  EXPECT_EQ(JudgeTrackFile(-5, -2, false), (FileVerdict{true, 10}));
  EXPECT_EQ(JudgeTrackFile(0, 7, false), (FileVerdict{true, 0}));
  EXPECT_EQ(JudgeTrackFile(300, 254, true), (FileVerdict{true, -76200}));
  EXPECT_EQ(JudgeTrackFile(2147483648LL, 2, false), (FileVerdict{true, kIpvsWeightMax}));
  // -2^31 or less is keepalived 2.2.7's fault state: the server goes down.
  EXPECT_EQ(JudgeTrackFile(-2147483647LL, 1, false), (FileVerdict{true, -2147483647}));
  EXPECT_EQ(JudgeTrackFile(-2147483648LL, 1, false), (FileVerdict{false, 0}));
  EXPECT_EQ(JudgeTrackFile(1073741824, 2, true), (FileVerdict{false, 0}));
}

TEST(FileCheck, InitFileCreatesOverwritesButNotOnReload) {
  TempDir dir;
  TrackFileConfig tf;
  tf.name = "t";
  tf.where = "k.conf:1";
  tf.path = dir.path() + "/t";
  tf.init = TrackFileConfig::Init::kCreate;
  tf.init_value = 7;
  ASSERT_TRUE(InitTrackFile(tf, false).ok());
  EXPECT_EQ(TempDir::Read(tf.path), "7\n");
  tf.init_value = 8;
  ASSERT_TRUE(InitTrackFile(tf, false).ok());  // exists: left alone
  EXPECT_EQ(TempDir::Read(tf.path), "7\n");
  tf.init = TrackFileConfig::Init::kOverwrite;
  ASSERT_TRUE(InitTrackFile(tf, true).ok());  // a reload never overwrites
  EXPECT_EQ(TempDir::Read(tf.path), "7\n");
  ASSERT_TRUE(InitTrackFile(tf, false).ok());
  EXPECT_EQ(TempDir::Read(tf.path), "8\n");
  tf.init = TrackFileConfig::Init::kNone;
  tf.init_value = 9;
  ASSERT_TRUE(InitTrackFile(tf, false).ok());
  EXPECT_EQ(TempDir::Read(tf.path), "8\n");
  tf.path = dir.path();
  tf.init = TrackFileConfig::Init::kOverwrite;
  const Status st = InitTrackFile(tf, false);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "k.conf:1: cannot initialise track_file t: " + dir.path() + " is not a regular file");
}

std::string Conf(const std::string& dir, const std::string& track, const std::string& check) {
  return "track_file up {\n file " + dir + "/up\n" + track + "}\n"
         "virtual_server 198.19.0.1 80 {\n alpha\n delay_loop 7\n"
         " real_server 198.18.1.11 80 {\n  FILE_CHECK {\n" + check + "  }\n }\n}\n";
}

const CheckerConfig& OnlyChecker(const Result<Config>& cfg) {
  return cfg->virtual_servers.at(0).real_servers.at(0).checkers.at(0);
}

TEST(FileCheckConfig, TheCheckersWeightOrElseTheTrackFiles) {
  TempDir dir;
  auto cfg = ParseConfigText(Conf(dir.path(), " weight -3 reverse\n init_file 5 overwrite\n", "   track_file up\n"),
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const CheckerConfig& c = OnlyChecker(cfg);
  EXPECT_EQ(c.kind, CheckerKind::kFile);
  EXPECT_STREQ(CheckerKindName(c.kind), "FILE_CHECK");
  EXPECT_EQ(c.track_file, "up");
  EXPECT_EQ(c.file_path, dir.path() + "/up");
  EXPECT_EQ(c.file_weight, -3);
  EXPECT_TRUE(c.file_reverse);
  // keepalived knows a file's state at once: no alpha, no retries; read every delay_loop.
  EXPECT_FALSE(c.alpha);
  EXPECT_EQ(c.retry, 0);
  EXPECT_DOUBLE_EQ(c.delay_loop, 7);
  ASSERT_EQ(cfg->track_files.size(), 1u);
  EXPECT_EQ(cfg->track_files[0].init, TrackFileConfig::Init::kOverwrite);
  EXPECT_EQ(cfg->track_files[0].init_value, 5);
  EXPECT_EQ(cfg->track_files[0].where, "k.conf:1");

  cfg = ParseConfigText(Conf(dir.path(), " weight -3 reverse\n", "   track_file up\n   weight 4 noreverse\n"), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(OnlyChecker(cfg).file_weight, 4);
  EXPECT_FALSE(OnlyChecker(cfg).file_reverse);
  // weight 0 is no weight of its own (keepalived's file_end_handler).
  cfg = ParseConfigText(Conf(dir.path(), " weight 2\n", "   track_file up\n   weight 0 reverse\n"), "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(OnlyChecker(cfg).file_weight, 2);
  EXPECT_FALSE(OnlyChecker(cfg).file_reverse);
  // The defaults: weight 1, no init; vrrp_track_file is keepalived's older name.
  cfg = ParseConfigText("vrrp_track_file up {\n file " + dir.path() + "/up\n}\n"
                        "track_file unused {\n file /nonexistent/dir/x\n init_file\n}\n"
                        "virtual_server 198.19.0.1 80 {\n real_server 198.18.1.11 80 {\n  FILE_CHECK {\n"
                        "   track_file up\n  }\n }\n}\n", "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(OnlyChecker(cfg).file_weight, 1);
  ASSERT_EQ(cfg->track_files.size(), 1u);  // only those in use
  EXPECT_EQ(cfg->track_files[0].init, TrackFileConfig::Init::kNone);
}

TEST(FileCheckConfig, ErrorsNameTheirLine) {
  TempDir dir;
  const std::string d = dir.path();
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {Conf(d, "", "   weight 2\n"), "k.conf:8: FILE_CHECK needs a track_file"},
      {Conf(d, "", "   track_file nope\n"),
       "k.conf:9: track_file 'nope' is not defined (before this virtual_server, as keepalived needs)"},
      {Conf(d, "", "   track_file up\n   delay_loop 3\n"),
       "k.conf:10: unknown keyword 'delay_loop' in FILE_CHECK (it takes track_file and weight)"},
      {Conf(d, "", "   track_file up\n   weight 2 sideways\n"),
       "k.conf:10: FILE_CHECK weight takes 'reverse' or 'noreverse' after the number, not 'sideways'"},
      {Conf(d, "", "   track_file up\n   weight 2147483648\n"),
       "k.conf:10: '2147483648' is out of range (-2147483647..2147483647)"},
      {Conf(d, " weight 255\n", "   track_file up\n"), "k.conf:3: '255' is out of range (-254..254)"},
      {Conf(d, " weight 2 noreverse\n", "   track_file up\n"),
       "k.conf:3: track_file weight takes only 'reverse' after the number, not 'noreverse'"},
      {Conf(d, " init_file 1 always\n", "   track_file up\n"),
       "k.conf:3: init_file takes a VALUE and 'overwrite', not 'always'"},
      {Conf(d, " file /other\n", "   track_file up\n"), "k.conf:3: track_file 'up' has a file already"},
      {Conf(d, " interval 3\n", "   track_file up\n"), "k.conf:3: unknown keyword 'interval' in track_file"},
      {"track_file up {\n weight 1\n}\n", "k.conf:1: track_file 'up' needs a file"},
      {"track_file up {\n file /a\n}\ntrack_file up {\n file /b\n}\n", "k.conf:4: track_file 'up' is defined twice"},
      {"track_file up {\n file /nonexistent/dir/up\n}\nvirtual_server 198.19.0.1 80 {\n real_server 198.18.1.11 80 {\n"
       "  FILE_CHECK {\n   track_file up\n  }\n }\n}\n",
       "k.conf:7: track_file 'up': directory /nonexistent/dir of /nonexistent/dir/up does not exist"},
      // keepalived looks the name up while it reads the FILE_CHECK.
      {"virtual_server 198.19.0.1 80 {\n real_server 198.18.1.11 80 {\n  FILE_CHECK {\n   track_file up\n  }\n }\n}\n"
       "track_file up {\n file " + d + "/up\n}\n",
       "k.conf:4: track_file 'up' is not defined (before this virtual_server, as keepalived needs)"},
  };
  for (const Case& c : cases) {
    auto cfg = ParseConfigText(c.text, "k.conf");
    ASSERT_FALSE(cfg) << c.text;
    EXPECT_EQ(cfg.error().message, c.error) << c.text;
  }
}

// keepalived's init_service_rs: the file is read before the server enters the table, and a
// weighted value is part of the weight it enters with.
TEST(FileCheckPool, ServersStartAsTheirFilesSay) {
  TempDir dir;
  dir.Write("down", "1\n");
  dir.Write("five", "5\n");
  auto cfg = ParseConfigText("track_file down {\n file " + dir.path() + "/down\n weight 0\n}\n"
                             "track_file five {\n file " + dir.path() + "/five\n}\n"
                             "virtual_server 198.19.0.1 80 {\n"
                             " real_server 10.0.0.1 80 {\n  weight 3\n  FILE_CHECK {\n   track_file down\n  }\n }\n"
                             " real_server 10.0.0.2 80 {\n  weight 3\n  FILE_CHECK {\n   track_file five\n   weight 2\n  }\n"
                             "  FILE_CHECK {\n   track_file five\n   weight 1 reverse\n  }\n }\n}\n",
                             "k.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  Recorder rec;
  VirtualServerPool pool(cfg->virtual_servers[0], &rec);
  pool.Start();
  EXPECT_EQ(rec.Take(), (std::vector<std::string>{"AddService 80", "AddDest 10.0.0.2 w8"}));  // 3 + 10 - 5
  EXPECT_FALSE(pool.servers()[0].alive);
  EXPECT_EQ(pool.LiveWeight(), 8);
  pool.SetCheckerWeight(1, 0, 30);
  EXPECT_EQ(rec.Take(), (std::vector<std::string>{"EditDest 10.0.0.2 w28"}));
  // The table's weight stays within 0..65535, whatever the shares add up to.
  pool.SetCheckerWeight(1, 1, -100);
  EXPECT_EQ(rec.Take(), (std::vector<std::string>{"EditDest 10.0.0.2 w0"}));
  EXPECT_EQ(pool.servers()[1].EffectiveWeight(), 0);
}

}  // namespace
}  // namespace ipvsd::health
