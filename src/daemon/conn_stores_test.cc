#include "daemon/conn_stores.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace ipvsd::daemon {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

class ConnStoresTest : public ::testing::Test {
 protected:
  ConnStoresTest() : dir_(::testing::TempDir() + "conn_stores_test." + std::to_string(::getpid()) + "/store") {}
  ~ConnStoresTest() override { std::system(("rm -rf '" + dir_.substr(0, dir_.rfind('/')) + "'").c_str()); }

  std::unique_ptr<ConnStores> OpenWith(size_t workers) {
    auto stores = ConnStores::Open(dir_);
    EXPECT_TRUE(stores.ok()) << stores.error().message;
    if (!stores) return nullptr;
    EXPECT_TRUE((*stores)->CreateTables(std::vector<uint32_t>(workers, 64), 64).ok());
    return std::move(*stores);
  }

  std::string dir_;
};

// The next run, after a restart or an upgrade, validates the cookies this one sent.
TEST_F(ConnStoresTest, TheSynCookieKeyOutlivesTheRun) {
  HashKey first{};
  {
    auto stores = OpenWith(1);
    ASSERT_TRUE(stores);
    auto key = stores->SynCookieKey();
    ASSERT_TRUE(key.ok()) << key.error().message;
    first = *key;
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/syn-cookie-key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto stores = OpenWith(1);
  ASSERT_TRUE(stores);
  auto again = stores->SynCookieKey();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, first);
  // A damaged file is replaced by a new key.
  std::ofstream(dir_ + "/syn-cookie-key", std::ios::trunc) << "short";
  auto replaced = stores->SynCookieKey();
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_FALSE(*replaced == first);
  EXPECT_EQ(*stores->SynCookieKey(), *replaced);
}

TEST_F(ConnStoresTest, OneIpvsdPerStoreAndTheSecondIsToldWhoHoldsIt) {
  auto first = ConnStores::Open(dir_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = ConnStores::Open(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, "connection store " + dir_ + " is in use by another ipvsd (pid " +
                                        std::to_string(::getpid()) + "); give each ipvsd its own --conn-store DIR");
  first->reset();
  EXPECT_TRUE(ConnStores::Open(dir_).ok()) << "free again once the holder is gone";
}

TEST_F(ConnStoresTest, ThisRunsFilesReplaceThePreviousOnlyOnCommit) {
  {
    auto run = OpenWith(3);
    ASSERT_TRUE(run);
    EXPECT_TRUE(Exists(dir_ + "/conns-2.new"));
    EXPECT_EQ(run->ReadPrevious().files, 0u);
    ASSERT_TRUE(run->Commit().ok());
  }
  EXPECT_TRUE(Exists(dir_ + "/conns-0") && Exists(dir_ + "/conns-2") && Exists(dir_ + "/templates"));
  {
    // A run that dies before committing leaves the previous files for the next one.
    auto run = OpenWith(2);
    ASSERT_TRUE(run);
  }
  EXPECT_TRUE(Exists(dir_ + "/conns-2"));
  auto run = OpenWith(2);
  ASSERT_TRUE(run);
  ConnStores::Previous previous = run->ReadPrevious();
  EXPECT_EQ(previous.files, 4u);
  EXPECT_EQ(previous.unreadable_files, 0u);
  ASSERT_TRUE(run->Commit().ok());
  EXPECT_TRUE(Exists(dir_ + "/conns-1") && Exists(dir_ + "/templates"));
  EXPECT_FALSE(Exists(dir_ + "/conns-2")) << "a table of a worker this run does not have";
  EXPECT_FALSE(Exists(dir_ + "/conns-0.new"));
}

TEST_F(ConnStoresTest, AFileThatCannotBeReadIsSetAsideAndCounted) {
  {
    auto run = OpenWith(1);
    ASSERT_TRUE(run && run->Commit().ok());
  }
  {
    std::ofstream f(dir_ + "/conns-0", std::ios::trunc);
    f << "not a table";
  }
  auto run = OpenWith(1);
  ASSERT_TRUE(run);
  ConnStores::Previous previous = run->ReadPrevious();
  EXPECT_EQ(previous.files, 2u);
  EXPECT_EQ(previous.unreadable_files, 1u);
  EXPECT_TRUE(Exists(dir_ + "/conns-0.unreadable"));
}

}  // namespace
}  // namespace ipvsd::daemon
