#include "source/postgres/page_delta.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "env/process.h"

namespace lifeboat::pg {
namespace {

ByteSource FromString(const std::string& s) {
  auto pos = std::make_shared<size_t>(0);
  return [&s, pos](char* buf, size_t n) -> Result<size_t> {
    size_t take = std::min(n, s.size() - *pos);
    std::memcpy(buf, s.data() + *pos, take);
    *pos += take;
    return take;
  };
}

std::string ReadBack(int fd) {
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string Delta(const std::string& base, const std::string& now, DeltaStats* stats) {
  auto in = FdFromString(now);
  EXPECT_TRUE(in.ok());
  int out = memfd_create("delta", 0);
  Status s = WriteDelta(FromString(base), base.size(), *in, "test file", out, stats);
  EXPECT_TRUE(s.ok()) << s.message();
  std::string d = ReadBack(out);
  close(*in);
  close(out);
  return d;
}

Result<std::string> Apply(const std::string& base, const std::string& delta) {
  int out = memfd_create("applied", 0);
  Status s = ApplyDelta(FromString(base), base.size(), FromString(delta), out, "test file");
  std::string got = ReadBack(out);
  close(out);
  if (!s.ok()) return s;
  return got;
}

std::string Pages(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n * kPageSize, '\0');
  // Like a heap page: a header, tuples at the end, zeros between.
  for (size_t p = 0; p < n; ++p) {
    char* page = s.data() + p * kPageSize;
    for (size_t i = 0; i < 24; ++i) page[i] = static_cast<char>(rng());
    for (size_t i = kPageSize - 3000; i < kPageSize; ++i) page[i] = static_cast<char>('a' + rng() % 26);
  }
  return s;
}

TEST(PageDelta, RoundTripsScatteredChanges) {
  std::string base = Pages(40, 1);
  std::string now = base;
  // A few bytes of most pages, as an update does: header, a tuple header,
  // a new tuple in the free space.
  for (size_t p = 0; p < 40; p += 1) {
    if (p % 7 == 3) continue;
    char* page = now.data() + p * kPageSize;
    page[0] ^= 0x5a;
    page[9] ^= 0x11;
    std::memset(page + 4000, 'x', 120);
    page[kPageSize - 1500] ^= 0x40;
  }
  // Page 5 rewritten entirely, two pages appended.
  std::mt19937 rng(9);
  for (size_t i = 0; i < kPageSize; ++i) now[5 * kPageSize + i] = static_cast<char>(rng());
  now += Pages(2, 2);
  DeltaStats st;
  std::string d = Delta(base, now, &st);
  EXPECT_EQ(st.pages, 42u);
  EXPECT_EQ(st.same, 6u);
  EXPECT_EQ(st.literal, 3u);  // the rewritten page and the two new ones
  EXPECT_EQ(st.patched, 33u);
  EXPECT_EQ(st.delta_bytes, d.size());
  EXPECT_LT(d.size(), 4 * kPageSize + 33 * 200);
  auto back = Apply(base, d);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == now);
}

TEST(PageDelta, ShorterFileAndPartialTail) {
  std::string base = Pages(10, 3);
  std::string now = base.substr(0, 4 * kPageSize + 100);
  now[2 * kPageSize + 7] ^= 1;
  DeltaStats st;
  std::string d = Delta(base, now, &st);
  EXPECT_EQ(st.pages, 4u);
  EXPECT_EQ(st.patched, 1u);
  auto back = Apply(base, d);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == now);
  // An empty file.
  d = Delta(base, "", &st);
  back = Apply(base, d);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(PageDelta, DamageIsAnErrorNotAGuess) {
  std::string base = Pages(6, 4);
  std::string now = base;
  now[kPageSize + 50] ^= 1;
  DeltaStats st;
  std::string d = Delta(base, now, &st);
  // Cut short.
  auto r = Apply(base, d.substr(0, d.size() - 3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
  EXPECT_NE(r.status().message().find("page delta of test file"), std::string::npos) << r.status().message();
  // A wrong record.
  std::string bad = d;
  bad[12] = 0x07;
  EXPECT_FALSE(Apply(base, bad).ok());
  // The wrong base: shorter than the delta needs.
  EXPECT_FALSE(Apply(base.substr(0, 2 * kPageSize), d).ok());
  // Not a delta at all.
  EXPECT_FALSE(Apply(base, "hello").ok());
}

TEST(PageDelta, RelationFileNames) {
  EXPECT_TRUE(IsRelationFile("base/16384/16397"));
  EXPECT_TRUE(IsRelationFile("base/1/1259_fsm"));
  EXPECT_TRUE(IsRelationFile("base/16384/16397_vm"));
  EXPECT_TRUE(IsRelationFile("base/16384/16397.1"));
  EXPECT_TRUE(IsRelationFile("base/16384/16397_init"));
  EXPECT_TRUE(IsRelationFile("global/1262"));
  EXPECT_FALSE(IsRelationFile("global/pg_control"));
  EXPECT_FALSE(IsRelationFile("global/pg_filenode.map"));
  EXPECT_FALSE(IsRelationFile("base/16384/PG_VERSION"));
  EXPECT_FALSE(IsRelationFile("base/16384/pg_internal.init"));
  EXPECT_FALSE(IsRelationFile("base/pgsql_tmp/pgsql_tmp123.0"));
  EXPECT_FALSE(IsRelationFile("pg_xact/0000"));
  EXPECT_FALSE(IsRelationFile("base/16384/16397_xx"));
  EXPECT_FALSE(IsRelationFile("base/16384/16397."));
  EXPECT_FALSE(IsRelationFile("base/16384/sub/16397"));
}

}  // namespace
}  // namespace lifeboat::pg
