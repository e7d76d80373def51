// File: health/preprocess_test.cc
//
// keepalived 2.2.7's parameters (lib/parser.c find_definition, replace_param), with the
// results its `keepalived -t` (2.2.7) shows: when an unbraced $NAME is replaced, values read
// again for parameters, multi-line values only at the end of a line, comments removed before
// replacing, and the predefined ${_PWD}, ${_INSTANCE}, ${_RANDOM [MIN [MAX]]}, ${_HASH} and
// ${_BANG}.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "health/config.h"

namespace ipvsd::health {
namespace {

// The MISC_CHECK command of a file whose only real server runs misc_path WORDS.
Result<std::string> MiscPath(const std::string& definitions, const std::string& words,
                             const std::string& config_id = "lb1") {
  auto cfg = ParseConfigText(definitions + "virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n"
                             "  MISC_CHECK {\n   misc_path " + words + "\n  }\n }\n}\n",
                             "p.conf", config_id);
  if (!cfg) return cfg.error();
  return cfg->virtual_servers.at(0).real_servers.at(0).checkers.at(0).misc_path;
}

TEST(Parameters, AnUnbracedNameIsReplacedOnlyBeforeABlankCommaParenthesisOrTheEnd) {
  auto path = MiscPath("$P=val\n", "\"a$P b$P,x c$P)x d$P.x e${P}.x f$Pz g$P$P h${ P} i$P\"");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "aval bval,x cval)x d$P.x eval.x f$Pz g$Pval h${ P} i$P");
  path = MiscPath("$P=val\n", "k$P\tl$P");  // a tab counts as a blank; the end of the line too
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "kval lval");
  // A name starts with a letter or '_'; $9X=... is no definition, and $9X stays.
  path = MiscPath("$9X=nine\n", "a$9X");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "a$9X");
}

TEST(Parameters, ValuesAreReadAgainWhenUsedAndDefinitionsMayChange) {
  auto cfg = ParseConfigText("$BASE=10.2.${SUB}\n$SUB=0\n"
                             "virtual_server ${BASE}.100 80 {\n}\n"
                             "$SUB=10\n"
                             "virtual_server ${BASE}.100 80 {\n}\n",
                             "p.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->virtual_servers[0].name, "10.2.0.100:80/TCP");
  EXPECT_EQ(cfg->virtual_servers[1].name, "10.2.10.100:80/TCP");
  // Leading blanks of a value are not part of it; a comment is not either.
  auto path = MiscPath("$V=   spaced # note\n", "x${V}y");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "xspacedy");
  // A parameter naming itself grows the line until that is an error.
  path = MiscPath("$A=x${A}\n", "${A}");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().message, "p.conf:5: parameter substitution makes the line longer than 65536 characters");
}

TEST(Parameters, AValueOfSeveralLinesStandsOnlyAtTheEndOfALine) {
  const std::string check = "$CHECK=TCP_CHECK {\\\n  connect_timeout 2\\\n}\n";
  auto cfg = ParseConfigText(check + "virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n  ${CHECK}\n"
                             "  # ${CHECK} in a comment is not read\n }\n}\n",
                             "p.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->virtual_servers[0].real_servers[0].checkers.size(), 1u);
  EXPECT_DOUBLE_EQ(cfg->virtual_servers[0].real_servers[0].checkers[0].connect_timeout, 2);
  auto path = MiscPath(check, "\"a ${CHECK} b\"");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "a ${CHECK} b");
}

// `$NAME=\` alone starts the value on the next line; blanks before a backslash and at the
// start of a continuation line are not part of it.
TEST(Parameters, AValueMayStartOnTheNextLine) {
  auto cfg = ParseConfigText("$RS=\\\n   real_server 198.18.1.1 80 {  \\\n   weight 4\\\n }\n"
                             "virtual_server 198.19.0.1 80 {\n ${RS}\n}\n",
                             "p.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->virtual_servers[0].real_servers.size(), 1u);
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[0].weight, 4);
  auto path = MiscPath("$W=\\\n  one \\\n  two\n", "\"x\" ${W}");
  ASSERT_FALSE(path);  // two lines: "misc_path x one", then "two" as a keyword
  EXPECT_EQ(path.error().message, "p.conf:7: unknown keyword 'two' in MISC_CHECK");
}

TEST(Parameters, PredefinedInstanceRandomHashAndBang) {
  auto path = MiscPath("", "i=${_INSTANCE} r=${_RANDOM 5 5}", "lb7");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "i=lb7 r=5");
  for (int k = 0; k < 20; ++k) {
    path = MiscPath("", "${_RANDOM 10 12} ${_RANDOM 30000} ${_RANDOM}");
    ASSERT_TRUE(path) << path.error().message;
    const int a = std::atoi(path->c_str());
    const int b = std::atoi(path->c_str() + path->find(' ') + 1);
    const int c = std::atoi(path->c_str() + path->rfind(' ') + 1);
    EXPECT_TRUE(a >= 10 && a <= 12) << *path;
    EXPECT_TRUE(b >= 30000 && b <= 32767) << *path;
    EXPECT_TRUE(c >= 0 && c <= 32767) << *path;
  }
  // A definition of the file takes the place of a predefined one.
  path = MiscPath("$_INSTANCE=mine\n", "${_INSTANCE}");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "mine");
  // keepalived 2.2.7 reads a line for comments again after replacing: '#' and '!' start one.
  path = MiscPath("", "/bin/a${_HASH}b c");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "/bin/a");
  path = MiscPath("", "/bin/a ${_BANG}b c");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "/bin/a");
  // Numbers after any other name keep it as written.
  path = MiscPath("$P=val\n", "\"${P 1} ${_PWD 1}\"");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, "${P 1} ${_PWD 1}");
}

TEST(Parameters, RandomBoundsThatCannotBeAreErrors) {
  auto path = MiscPath("", "${_RANDOM 9 3}");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().message, "p.conf:4: ${_RANDOM 9 3}: MAX is below MIN");
  path = MiscPath("", "${_RANDOM 1 2 3}");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().message, "p.conf:4: ${_RANDOM} takes at most MIN and MAX");
}

TEST(Parameters, PwdIsTheDirectoryOfTheFileBeingRead) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("health_pwd_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "main.conf") << "virtual_server 198.19.0.1 80 {\n real_server 198.18.1.1 80 {\n"
                                      "  MISC_CHECK {\n   misc_path ${_PWD}/main.sh\n  }\n }\n"
                                      " include sub/rs.conf\n}\n";
  std::ofstream(dir / "sub" / "rs.conf") << "real_server 198.18.1.2 80 {\n MISC_CHECK {\n  misc_path ${_PWD}/rs.sh\n }\n}\n";
  auto cfg = ParseConfigFile((dir / "main.conf").string());
  ASSERT_TRUE(cfg) << cfg.error().message;
  const std::string real = std::filesystem::canonical(dir).string();
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[0].checkers[0].misc_path, real + "/main.sh");
  EXPECT_EQ(cfg->virtual_servers[0].real_servers[1].checkers[0].misc_path, real + "/sub/rs.sh");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ipvsd::health
