// File: health/include_test.cc
//
// keepalived 2.2.7's include rules, case by case as `keepalived -t` (2.2.7) judges them: plain
// include tolerates everything (a notice), includer/includem/includew/includeb/includea and
// global_defs' include_check turn one kind of miss each into an error at the include line,
// and brace patterns expand as glob's GLOB_BRACE does.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "health/config.h"

namespace ipvsd::health {
namespace {

// inc/a.conf and inc/b.conf hold one virtual server each, inc/noread.conf cannot be read
// (mode 000; root reads it anyway, so those cases skip as root), inc/dir.conf is a directory
// and inc/run.conf is executable.
class Includes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("health_include_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_ / "inc" / "dir.conf");
    std::ofstream(dir_ / "inc" / "a.conf") << "virtual_server 198.19.0.1 80 {\n}\n";
    std::ofstream(dir_ / "inc" / "b.conf") << "virtual_server 198.19.0.2 80 {\n}\n";
    std::ofstream(dir_ / "inc" / "noread.conf") << "virtual_server 198.19.0.3 80 {\n}\n";
    chmod((dir_ / "inc" / "noread.conf").c_str(), 0);
    std::ofstream(dir_ / "inc" / "run.conf") << "virtual_server 198.19.0.4 80 {\n}\n";
    chmod((dir_ / "inc" / "run.conf").c_str(), 0755);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // main.conf with TEXT, parsed.
  Result<Config> Parse(const std::string& text) {
    std::ofstream(dir_ / "main.conf") << text;
    return ParseConfigFile(Main());
  }
  std::string Main() const { return (dir_ / "main.conf").string(); }
  std::string Inc(const char* name) const { return (dir_ / "inc" / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(Includes, BracesExpandAndEveryVariantReadsWhatMatches) {
  for (const char* keyword : {"include", "includer", "includem", "includew", "includeb", "includea"}) {
    auto cfg = Parse(std::string(keyword) + " inc/{a,b}.conf\n");
    ASSERT_TRUE(cfg) << keyword << ": " << cfg.error().message;
    ASSERT_EQ(cfg->virtual_servers.size(), 2u) << keyword;
    EXPECT_EQ(cfg->virtual_servers[1].where, Inc("b.conf") + ":1") << keyword;
  }
}

TEST_F(Includes, MissingFileWithoutWildcard) {
  // include and includer go on (keepalived: "Config files missing"); includem stops, and so
  // do includew and includea, which want a match for any pattern.
  for (const char* keyword : {"include", "includer", "includeb"}) {
    auto cfg = Parse(std::string(keyword) + " inc/none.conf\n");
    ASSERT_TRUE(cfg) << keyword << ": " << cfg.error().message;
    EXPECT_EQ(cfg->notices.at(0), Main() + ":1: include 'inc/none.conf' matches no file") << keyword;
  }
  for (const char* keyword : {"includem", "includew", "includea"}) {
    auto cfg = Parse(std::string(keyword) + " inc/none.conf\n");
    ASSERT_FALSE(cfg) << keyword;
    EXPECT_EQ(cfg.error().message, Main() + ":1: include 'inc/none.conf' matches no file");
  }
}

TEST_F(Includes, WildcardMatchingNothing) {
  for (const char* keyword : {"include", "includer", "includem", "includeb"}) {
    auto cfg = Parse(std::string(keyword) + " inc/none*.conf\n");
    ASSERT_TRUE(cfg) << keyword << ": " << cfg.error().message;
  }
  for (const char* keyword : {"includew", "includea"}) {
    auto cfg = Parse(std::string(keyword) + " inc/none*.conf\n");
    ASSERT_FALSE(cfg) << keyword;
    EXPECT_EQ(cfg.error().message, Main() + ":1: include 'inc/none*.conf' matches no file");
  }
}

TEST_F(Includes, BraceAlternativeMissing) {
  // includem is content with a brace pattern that matches something; includeb wants each
  // alternative without wildcards, and not those with one (z*).
  for (const char* keyword : {"include", "includer", "includem", "includew"}) {
    auto cfg = Parse(std::string(keyword) + " inc/{a,zz}.conf\n");
    ASSERT_TRUE(cfg) << keyword << ": " << cfg.error().message;
    EXPECT_EQ(cfg->virtual_servers.size(), 1u);
  }
  auto wild = Parse("includeb inc/{a,z*}.conf\n");
  ASSERT_TRUE(wild) << wild.error().message;
  for (const char* keyword : {"includeb", "includea"}) {
    auto cfg = Parse(std::string(keyword) + " inc/{a,zz}.conf\n");
    ASSERT_FALSE(cfg) << keyword;
    EXPECT_EQ(cfg.error().message,
              Main() + ":1: include 'inc/{a,zz}.conf': " + Inc("zz.conf") + " does not exist (brace_match)");
  }
}

TEST_F(Includes, DirectoryAndExecutableFiles) {
  // Plain include skips each with a notice, as keepalived skips them with a log line.
  auto cfg = Parse("include inc/dir.conf\ninclude inc/run.conf\n");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_TRUE(cfg->virtual_servers.empty());
  ASSERT_EQ(cfg->notices.size(), 2u);
  EXPECT_EQ(cfg->notices[0], Main() + ":1: include 'inc/dir.conf': skipping " + Inc("dir.conf") + "/, is a directory");
  EXPECT_EQ(cfg->notices[1],
            Main() + ":2: include 'inc/run.conf': skipping " + Inc("run.conf") + ", is not a regular non-executable file");
  // Any check (includer, or any other variant) makes it an error.
  for (const char* keyword : {"includer", "includem", "includew", "includeb", "includea"}) {
    auto bad = Parse(std::string(keyword) + " inc/run.conf\n");
    ASSERT_FALSE(bad) << keyword;
    EXPECT_EQ(bad.error().message,
              Main() + ":1: include 'inc/run.conf': " + Inc("run.conf") + " is not a regular non-executable file");
  }
}

TEST_F(Includes, UnreadableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads a file of mode 000";
  auto cfg = Parse("include inc/noread.conf\n");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->notices.at(0),
            Main() + ":1: include 'inc/noread.conf': skipping " + Inc("noread.conf") + ", cannot be read: Permission denied");
  auto bad = Parse("includer inc/noread.conf\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            Main() + ":1: include 'inc/noread.conf': " + Inc("noread.conf") + " cannot be read: Permission denied");
}

// include_check in global_defs applies to the includes after it, in that file and the files it
// includes, not to the file that included it; outside global_defs keepalived does not know it.
TEST_F(Includes, IncludeCheckInGlobalDefs) {
  auto cfg = Parse("global_defs {\n  include_check\n}\ninclude inc/none*.conf\n");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message, Main() + ":4: include 'inc/none*.conf' matches no file");

  auto top_level = Parse("include_check\ninclude inc/none*.conf\n");
  ASSERT_TRUE(top_level) << top_level.error().message;

  // Plain options replace the set: wildcard_match is gone after `readable`.
  auto replaced = Parse("global_defs {\n  include_check wildcard_match\n  include_check readable\n}\ninclude inc/none*.conf\n");
  ASSERT_TRUE(replaced) << replaced.error().message;
  auto added = Parse("global_defs {\n  include_check readable\n  include_check +wildcard_match\n}\ninclude inc/none*.conf\n");
  ASSERT_FALSE(added);
  auto removed = Parse("global_defs {\n  include_check\n  include_check -wildcard_match\n}\ninclude inc/none*.conf\n");
  ASSERT_TRUE(removed) << removed.error().message;

  // Set in an included file, it ends with that file.
  std::ofstream(dir_ / "inc" / "strict.conf") << "global_defs {\n  include_check\n}\n";
  chmod((dir_ / "inc" / "strict.conf").c_str(), 0644);
  auto scoped = Parse("include inc/strict.conf\ninclude inc/none*.conf\n");
  ASSERT_TRUE(scoped) << scoped.error().message;

  auto bad = Parse("global_defs {\n  include_check everything\n}\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, Main() + ":2: include_check option must be readable, match, wildcard_match or "
                                          "brace_match (optionally with + or -), not 'everything'");
}

}  // namespace
}  // namespace ipvsd::health
