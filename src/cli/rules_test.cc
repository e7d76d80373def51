#include "cli/rules.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace ipvsd::cli {
namespace {

class RulesFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipvsd-rules-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const char* f : {"/rules", "/rules.tmp"}) ::unlink((dir_ + f).c_str());
    ::rmdir(dir_.c_str());
  }
  std::string Write(const std::string& text) {
    std::ofstream(dir_ + "/rules") << text;
    return dir_ + "/rules";
  }
  std::string dir_;
};

TEST_F(RulesFileTest, WhatIpvsadmSaveWritesBecomesOneBatchWithItsLines) {
  const std::string path = Write(
      "# ipvsadm.rules\n"
      "-A -t 198.18.0.1:80 -s rr\n"
      "\n"
      "ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.11:80 -m -w 1\n"
      "--set 900 120 300\n");
  auto rules = ReadRulesFile(path);
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules->batch.steps.size(), 3u);
  EXPECT_EQ(rules->batch.steps[0].type, static_cast<uint16_t>(ctl::MsgType::kAddService));
  EXPECT_EQ(rules->batch.steps[1].type, static_cast<uint16_t>(ctl::MsgType::kAddDest));
  EXPECT_EQ(rules->batch.steps[2].type, static_cast<uint16_t>(ctl::MsgType::kSetTimeouts));
  EXPECT_EQ(rules->lines, (std::vector<size_t>{2, 4, 5}));
  EXPECT_EQ(RulesStepError(path, *rules, 1, ESRCH), path + ":4: Service not defined");
}

TEST_F(RulesFileTest, AnythingButAChangeIsRefusedWithItsLine) {
  auto bad = ReadRulesFile(Write("-A -t 198.18.0.1:80 -s rr\n-A -t 198.18.0.1:99999 -s rr\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, EINVAL);
  EXPECT_EQ(bad.error().message, dir_ + "/rules:2: illegal virtual server address[:port] specified");
  auto listing = ReadRulesFile(Write("-Ln\n"));
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().message,
            dir_ + "/rules:1: not a change to the table (only what ipvsadm -S writes, and -C, -Z, --set)");
  auto missing = ReadRulesFile(dir_ + "/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ENOENT);
}

TEST_F(RulesFileTest, AtomicWriteReplacesTheWholeFileAndLeavesNoTemporary) {
  const std::string path = Write("old\n");
  ASSERT_TRUE(WriteFileAtomically(path, "new rules\n").ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "new rules\n");
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
  auto denied = WriteFileAtomically(dir_ + "/no/such/dir/rules", "x");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ENOENT);
}

}  // namespace
}  // namespace ipvsd::cli
