#include "sync/sync_receiver.h"

#include <gtest/gtest.h>

#include "net/headers.h"
#include "sync/sync_packer.h"
#include "sync/sync_record.h"

namespace ipvsd::sync {
namespace {

core::SyncRecord Record(uint16_t cport) {
  core::SyncRecord r;
  r.af = net::Family::kInet;
  r.protocol = net::kProtoTcp;
  r.caddr = net::RawAddr::FromV4(0xc6120005);  // 198.18.0.5
  r.vaddr = net::RawAddr::FromV4(0xc6130001);  // 198.19.0.1
  r.daddr = net::RawAddr::FromV4(0xc6120101);  // 198.18.1.1
  r.cport = cport;
  r.vport = 80;
  r.dport = 8080;
  r.state = 1;
  r.flags = 0x0083;
  r.timeout_s = 900;
  return r;
}

std::vector<uint8_t> Message(uint8_t syncid, int count) {
  SyncPacker packer(syncid, 1472);
  for (int i = 0; i < count; ++i) EXPECT_FALSE(packer.Add(Record(static_cast<uint16_t>(40000 + i))));
  return *packer.Flush();
}

SyncKey Key(char fill) { return SyncKey(std::vector<uint8_t>(32, static_cast<uint8_t>(fill))); }

bool operator==(const core::SyncRecord& a, const core::SyncRecord& b) {
  return a.af == b.af && a.protocol == b.protocol && a.caddr == b.caddr && a.vaddr == b.vaddr && a.daddr == b.daddr &&
         a.cport == b.cport && a.vport == b.vport && a.dport == b.dport && a.state == b.state &&
         a.flags == b.flags && a.timeout_s == b.timeout_s && a.fwmark == b.fwmark;
}

TEST(SyncReceiverTest, MessageOfTheRightSyncidYieldsItsConnections) {
  ReceivedDatagram d = ReadDatagram(Message(7, 3), 7);
  ASSERT_EQ(d.kind, DatagramKind::kConns);
  ASSERT_EQ(d.conns.size(), 3u);
  EXPECT_TRUE(d.conns[2] == Record(40002));
  // Syncid 0 accepts every syncid.
  EXPECT_EQ(ReadDatagram(Message(7, 1), 0).kind, DatagramKind::kConns);
  EXPECT_EQ(ReadDatagram(Message(8, 1), 7).kind, DatagramKind::kWrongSyncid);
}

TEST(SyncReceiverTest, ShortSizeMismatchAndMalformedDatagramsAreDroppedByReason) {
  std::vector<uint8_t> m = Message(7, 2);
  EXPECT_EQ(ReadDatagram(std::span(m).first(3), 7).kind, DatagramKind::kShort);
  EXPECT_EQ(ReadDatagram(std::span(m).first(m.size() - 1), 7).kind, DatagramKind::kSizeMismatch);
  m[8] = 0x7f;  // first entry: a type the kernel rejects with its whole message
  m[10] = 0xff;  // and an entry length beyond the message
  EXPECT_EQ(ReadDatagram(m, 7).kind, DatagramKind::kMalformed);
}

TEST(SyncReceiverTest, WithAKeyOnlyTaggedMessagesOfThatKeyAreAccepted) {
  SyncKey key = Key('a');
  const Authentication auth{&key};
  std::vector<uint8_t> plain = Message(7, 2);
  std::vector<uint8_t> tagged = key.Sign(plain, SyncSeq{100, 1});
  ASSERT_EQ(tagged.size(), plain.size() + kSyncAuthSize);
  EXPECT_EQ(ReadDatagram(tagged, 7, auth).kind, DatagramKind::kConns);
  EXPECT_EQ(ReadDatagram(plain, 7, auth).kind, DatagramKind::kUnauthenticated);
  SyncKey other = Key('b');
  EXPECT_EQ(ReadDatagram(other.Sign(plain, SyncSeq{100, 1}), 7, auth).kind, DatagramKind::kUnauthenticated);
  std::vector<uint8_t> forged = tagged;
  forged[12] ^= 1;  // a flipped flag bit under an unchanged tag
  EXPECT_EQ(ReadDatagram(forged, 7, auth).kind, DatagramKind::kUnauthenticated);
  std::vector<uint8_t> renumbered = tagged;
  renumbered[plain.size() + 15] ^= 1;  // another sequence number under the same tag
  EXPECT_EQ(ReadDatagram(renumbered, 7, auth).kind, DatagramKind::kUnauthenticated);
  EXPECT_EQ(ReadDatagram(std::span(tagged).first(10), 7, auth).kind, DatagramKind::kUnauthenticated);
  // A receiver without a key (a kernel backup) sees a size field that is not the length.
  EXPECT_EQ(ReadDatagram(tagged, 7).kind, DatagramKind::kSizeMismatch);
}

// A captured datagram replayed, now or after its sender restarted, is refused; fresh ones,
// also slightly out of order, are taken once each, per sender.
TEST(SyncReceiverTest, AuthenticatedDatagramsAreTakenOnceAndNotFromAnEarlierRun) {
  SyncKey key = Key('a');
  ReplayWindow window;
  const net::IpAddr master = *net::IpAddr::Parse("198.18.0.1");
  const net::IpAddr other_master = *net::IpAddr::Parse("198.18.0.2");
  const Authentication from_master{&key, &window, master};
  const std::vector<uint8_t> plain = Message(7, 1);
  auto kind = [&](uint64_t epoch, uint64_t seq, const Authentication& a) {
    return ReadDatagram(key.Sign(plain, SyncSeq{epoch, seq}), 7, a).kind;
  };
  EXPECT_EQ(kind(1000, 1, from_master), DatagramKind::kConns);
  EXPECT_EQ(kind(1000, 1, from_master), DatagramKind::kReplayed);
  EXPECT_EQ(kind(1000, 3, from_master), DatagramKind::kConns);
  EXPECT_EQ(kind(1000, 2, from_master), DatagramKind::kConns);  // late, not seen: taken
  EXPECT_EQ(kind(1000, 2, from_master), DatagramKind::kReplayed);
  EXPECT_EQ(kind(1000, 3 + ReplayWindow::kWindow, from_master), DatagramKind::kConns);
  EXPECT_EQ(kind(1000, 3, from_master), DatagramKind::kReplayed);  // behind the window
  EXPECT_EQ(kind(1000, 4, from_master), DatagramKind::kConns);     // the oldest it still holds
  EXPECT_EQ(kind(1000, 4, from_master), DatagramKind::kReplayed);
  // The sender restarted: its new epoch is taken, its old one never again.
  EXPECT_EQ(kind(2000, 1, from_master), DatagramKind::kConns);
  EXPECT_EQ(kind(1000, 500, from_master), DatagramKind::kReplayed);
  // Another sender has a window of its own.
  EXPECT_EQ(kind(1000, 1, Authentication{&key, &window, other_master}), DatagramKind::kConns);
}

TEST(ReplayWindowTest, TheLeastRecentlyHeardSenderMakesRoom) {
  ReplayWindow window(2);
  const net::IpAddr a = *net::IpAddr::Parse("198.18.0.1");
  const net::IpAddr b = *net::IpAddr::Parse("198.18.0.2");
  const net::IpAddr c = *net::IpAddr::Parse("198.18.0.3");
  EXPECT_TRUE(window.Accept(a, SyncSeq{5, 1}));
  EXPECT_TRUE(window.Accept(b, SyncSeq{5, 1}));
  EXPECT_TRUE(window.Accept(a, SyncSeq{5, 2}));
  EXPECT_TRUE(window.Accept(c, SyncSeq{5, 1}));  // b, heard least recently, is forgotten
  EXPECT_FALSE(window.Accept(a, SyncSeq{5, 2}));
  EXPECT_FALSE(window.Accept(c, SyncSeq{5, 1}));
}

TEST(SyncReceiverTest, PullRequestEncodesAsDocumentedAndFailsTheKernelSizeCheck) {
  std::vector<uint8_t> b = EncodePullRequest(PullRequest{7, 0x01020304});
  EXPECT_EQ(b, (std::vector<uint8_t>{0, 7, 0, 0, 'I', 'P', 'V', 'P', 1, 0, 0, 0, 1, 2, 3, 4}));
  EXPECT_EQ(DecodePullRequest(b), (PullRequest{7, 0x01020304}));
  // A kernel backup reads the size field (0) and drops the datagram.
  EXPECT_NE(static_cast<size_t>(b[2] << 8 | b[3]), b.size());
  EXPECT_FALSE(DecodeSyncMessage(b));
  ReceivedDatagram d = ReadDatagram(b, 7);
  EXPECT_EQ(d.kind, DatagramKind::kPullRequest);
  EXPECT_EQ(d.pull.nonce, 0x01020304u);
  EXPECT_EQ(ReadDatagram(b, 8).kind, DatagramKind::kWrongSyncid);
  b[8] = 2;
  EXPECT_FALSE(DecodePullRequest(b));
  SyncKey key = Key('a');
  const Authentication auth{&key};
  EXPECT_EQ(ReadDatagram(key.Sign(EncodePullRequest(PullRequest{7, 1}), SyncSeq{1, 1}), 0, auth).kind,
            DatagramKind::kPullRequest);
  EXPECT_EQ(ReadDatagram(EncodePullRequest(PullRequest{7, 1}), 0, auth).kind, DatagramKind::kUnauthenticated);
}

TEST(SyncPackerTest, FullMessagesComeOutWithinMaxlen) {
  SyncPacker packer(1, 8 + 3 * kEntryV4);
  EXPECT_FALSE(packer.Add(Record(1)));
  EXPECT_FALSE(packer.Add(Record(2)));
  EXPECT_FALSE(packer.Add(Record(3)));
  auto full = packer.Add(Record(4));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->size(), 8 + 3 * kEntryV4);
  auto rest = packer.Flush();
  ASSERT_TRUE(rest);
  EXPECT_EQ(DecodeSyncMessage(*rest)->conns.size(), 1u);
  EXPECT_FALSE(packer.Flush());
}

// As the kernel sizes a buffer max(entry + header, sync_maxlen): a sync-maxlen smaller than one
// entry gives one connection per message, never a connection lost or an underflow.
TEST(SyncPackerTest, MaxlenBelowOneEntryGivesOneConnectionPerMessage) {
  for (size_t maxlen : {size_t{0}, size_t{1}, size_t{20}}) {
    SyncPacker tiny(1, maxlen);
    EXPECT_FALSE(tiny.Add(Record(1)));
    auto first = tiny.Add(Record(2));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->size(), 8 + kEntryV4);
    EXPECT_EQ(DecodeSyncMessage(*first)->conns.size(), 1u);
    ASSERT_TRUE(tiny.Flush());
    EXPECT_EQ(tiny.too_big(), 0u);
  }
}

}  // namespace
}  // namespace ipvsd::sync
