#include "source/postgres/wal_commit.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace lifeboat::pg {
namespace {

// Writes a WAL segment the way PostgreSQL lays one out (small pages, so
// that records cross them): page headers, 8-byte aligned records chained
// by xl_prev. pg_physical_test.sh compares the scanner with pg_waldump on
// a real server's segments; these cover the edges a short run may not hit.
class SegmentWriter {
 public:
  static constexpr size_t kPage = 1024;
  explicit SegmentWriter(size_t pages = 6, uint32_t leading_tail = 0)
      : seg_(pages * kPage, '\0'), pending_(leading_tail) {
    if (leading_tail > 0) Put(std::string(leading_tail, 'x'));  // a record begun in the segment before
  }

  // A record of rmgr `rmid` with `body` after its 24-byte header.
  void Record(uint8_t rmid, uint8_t info, const std::string& body) {
    Align();
    if (pos_ % kPage == 0) Header();
    uint64_t lsn = kBase + pos_;
    std::string rec(24, '\0');
    Store<uint32_t>(&rec[0], uint32_t(24 + body.size()));
    Store<uint64_t>(&rec[8], prev_);
    rec[16] = char(info);
    rec[17] = char(rmid);
    rec += body;
    pending_ = uint32_t(rec.size());
    Put(rec);
    prev_ = lsn;
    ++records_;
  }

  // A commit at Unix time `sec`.`us`, with block references before its
  // main data when `blocks`.
  void Commit(int64_t sec, int64_t us, bool blocks = false) {
    std::string body;
    std::string block_data;
    if (blocks) {
      body += char(0);     // block 0
      body += char(0x10);  // fork 0, has an image, a new relation
      std::string len(2, '\0');
      Store<uint16_t>(&len[0], 20);  // data
      body += len;
      std::string image(5, '\0');
      Store<uint16_t>(&image[0], 700);  // the image's length
      image[4] = char(0x01 | 0x04);     // a hole, compressed: a hole length follows
      body += image + std::string(2, '\0');
      body += std::string(12, '\0') + std::string(4, '\0');  // RelFileNode, BlockNumber
      body += char(253) + std::string(2, '\0');              // replication origin
      block_data = std::string(720, 'b');
    }
    body += char(255);  // the main data, short
    body += char(16);
    std::string main(16, '\0');
    Store<int64_t>(&main[0], (sec - 946684800) * 1000000 + us);
    body += block_data + main;
    Record(1, 0x00, body);
  }

  void Garbage(uint64_t wrong_prev) {  // a recycled segment's old record
    Align();
    std::string rec(48, 'g');
    Store<uint32_t>(&rec[0], 48);
    Store<uint64_t>(&rec[8], wrong_prev);
    rec[17] = char(1);
    Put(rec);
  }

  std::string data() const { return seg_; }
  int records() const { return records_; }
  size_t pos() const { return pos_; }
  static constexpr uint64_t kBase = 0x3000000;  // segment 3

 private:
  template <typename T>
  static void Store(char* p, T v) {
    std::memcpy(p, &v, sizeof v);
  }

  void Align() { pos_ = (pos_ + 7) & ~size_t(7); }

  void Header() {
    char* h = &seg_[pos_];
    bool first = pos_ == 0;
    Store<uint16_t>(h, 0xD110);
    Store<uint16_t>(h + 2, uint16_t((first ? 0x0002 : 0) | (pending_ > 0 ? 0x0001 : 0)));
    Store<uint32_t>(h + 4, 1);
    Store<uint64_t>(h + 8, kBase + pos_);
    Store<uint32_t>(h + 16, pending_);
    if (first) {
      Store<uint64_t>(h + 24, 7000000000000000001ull);
      Store<uint32_t>(h + 32, uint32_t(seg_.size()));
      Store<uint32_t>(h + 36, uint32_t(kPage));
    }
    pos_ += first ? 40 : 24;
  }

  void Put(const std::string& bytes) {
    size_t i = 0;
    if (pos_ == 0) Header();
    while (i < bytes.size()) {
      if (pos_ % kPage == 0) Header();
      size_t take = std::min(kPage - pos_ % kPage, bytes.size() - i);
      std::memcpy(&seg_[pos_], bytes.data() + i, take);
      pos_ += take;
      i += take;
      pending_ -= uint32_t(take);
    }
  }

  std::string seg_;
  size_t pos_ = 0;
  uint32_t pending_ = 0;  // bytes of the current record still to write
  uint64_t prev_ = 0;
  int records_ = 0;
};

TEST(WalCommit, CommitsAcrossPagesAndTheNewestTime) {
  SegmentWriter w;
  w.Record(10, 0x00, std::string(100, 'h'));  // a heap insert
  w.Commit(1765000000, 250000);
  w.Commit(1765000300, 5, /*blocks=*/true);  // 800 bytes: crosses a page
  for (int i = 0; i < 40; ++i) w.Record(10, 0x00, std::string(60, 'h'));
  w.Commit(1765000100, 0);  // older than the one before (a concurrent commit)
  auto scan = ScanSegment(w.data());
  ASSERT_TRUE(scan.ok()) << scan.status().message();
  EXPECT_EQ(scan->records, uint64_t(w.records()));
  EXPECT_EQ(scan->commits, 3u);
  ASSERT_TRUE(scan->last_commit);
  EXPECT_EQ(*scan->last_commit, (Timestamp{1765000300, 5000}));
}

TEST(WalCommit, ARecordHeaderSplitOverPages) {
  SegmentWriter w;
  // Fill up to 16 bytes before the end of the first page: the next
  // record's header starts there and ends on the second page.
  size_t room = SegmentWriter::kPage - 16 - w.pos() - 40 - 24;
  w.Record(10, 0x00, std::string(room - (room % 8), 'h'));
  ASSERT_EQ(SegmentWriter::kPage - w.pos(), 16u);
  w.Commit(1765000000, 0);
  auto scan = ScanSegment(w.data());
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->commits, 1u);
}

TEST(WalCommit, TheTailOfARecordFromTheSegmentBefore) {
  SegmentWriter w(6, /*leading_tail=*/1500);  // past the first page
  w.Commit(1765000000, 0);
  auto scan = ScanSegment(w.data());
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->records, 1u);
  EXPECT_EQ(scan->commits, 1u);
}

TEST(WalCommit, EndsWhereTheWrittenWalEnds) {
  {  // a recycled segment's old records after the last one written
    SegmentWriter w;
    w.Commit(1765000000, 0);
    w.Garbage(0x1234);
    auto scan = ScanSegment(w.data());
    ASSERT_TRUE(scan.ok());
    EXPECT_EQ(scan->records, 1u);
  }
  {  // an XLOG_SWITCH: what follows is not WAL
    SegmentWriter w;
    w.Commit(1765000000, 0);
    w.Record(0, 0x40, "");
    w.Commit(1765009999, 0);
    auto scan = ScanSegment(w.data());
    ASSERT_TRUE(scan.ok());
    EXPECT_EQ(scan->records, 2u);
    EXPECT_EQ(*scan->last_commit, (Timestamp{1765000000, 0}));
  }
  {  // a page that belongs to another position (left from before recycling)
    SegmentWriter w;
    for (int i = 0; i < 30; ++i) w.Record(10, 0x00, std::string(60, 'h'));
    w.Commit(1765000000, 0);
    std::string seg = w.data();
    uint64_t wrong = 0x7000000;
    std::memcpy(&seg[2 * SegmentWriter::kPage + 8], &wrong, 8);
    auto scan = ScanSegment(seg);
    ASSERT_TRUE(scan.ok());
    EXPECT_LT(scan->records, uint64_t(w.records()));
    EXPECT_EQ(scan->commits, 0u);
  }
}

TEST(WalCommit, NotASegment) {
  EXPECT_EQ(ScanSegment("").status().code(), Code::kCorrupt);
  EXPECT_EQ(ScanSegment(std::string(100, 'x')).status().code(), Code::kCorrupt);
  SegmentWriter w;
  w.Commit(1765000000, 0);
  std::string cut = w.data().substr(0, 3000);  // not the size its header states
  EXPECT_EQ(ScanSegment(cut).status().code(), Code::kCorrupt);
  for (size_t n : {size_t(40), size_t(1024), size_t(4000)}) {
    std::string s = w.data().substr(0, n);
    std::memcpy(&s[32], &n, 4);  // consistent size, but cut records
    (void)ScanSegment(s);        // must not read out of bounds
  }
}

}  // namespace
}  // namespace lifeboat::pg
