// gen_dataset: the deterministic benchmark dataset, shaped like a service
// platform's backup sources (bench/README.md).
//
//   gen_dataset create DIR   ~2.5 GB: 20k small text files, 150 medium files of
//                            mixed compressibility, three 200 MiB files
//   gen_dataset mutate DIR   one day of change: ~5% of files edited or appended,
//                            ~1% added, ~1% deleted, 2% of one large file
//                            rewritten in scattered 64 KiB regions
//   gen_dataset smallfiles DIR N
//                            N files of 200 B to 2 KiB (config-like text) in
//                            four quarters DIR/q0..q3, 1000 files per
//                            directory: the scale benchmark (bench/scale)
//
// Same arguments, same bytes: every tool in a run reads identical data.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t Next() {
    s += 0x9e3779b97f4a7c15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

void RandomBytes(Rng& r, char* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = r.Next();
    std::memcpy(out + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(r.Next());
}

// Text like real configuration and logs: lines from fixed templates with a
// few varying fields (ids, numbers, timestamps), as services write them.
const char* const kTemplates[] = {
    "INFO  http request served method=GET path=/api/v1/items/%u status=200 latency_ms=%u",
    "INFO  http request served method=POST path=/api/v1/orders status=201 latency_ms=%u user=%u",
    "WARN  upstream slow host=10.0.%u.%u latency_ms=%u retry=1",
    "DEBUG cache lookup key=session:%u hit=true ttl=%u",
    "INFO  job completed queue=default worker=%u duration_ms=%u",
    "ERROR connection pool exhausted pool=postgres max=%u waiting=%u",
    "  replicas: %u\n  image: registry.internal/app:%u.%u",
    "  - name: svc-%u\n    port: %u\n    protocol: TCP",
    "max_connections = %u\nshared_buffers = %uMB\nwork_mem = %uMB",
    "{\"service\": \"svc-%u\", \"enabled\": true, \"timeout_ms\": %u, \"region\": \"us-east-%u\"}",
};
constexpr size_t kTemplateCount = sizeof(kTemplates) / sizeof(kTemplates[0]);

std::string Text(Rng& r, size_t n, bool log_like) {
  std::string out;
  out.reserve(n + 256);
  uint64_t t = 1700000000 + r.Below(1000000);
  size_t family = r.Below(kTemplateCount);
  while (out.size() < n) {
    char line[256];
    size_t k = r.Below(4) == 0 ? r.Below(kTemplateCount) : family;
    int len = std::snprintf(line, sizeof line, kTemplates[k], unsigned(r.Below(100000)), unsigned(r.Below(1000)),
                            unsigned(r.Below(50)));
    if (log_like) {
      char head[48];
      t += r.Below(3);
      std::snprintf(head, sizeof head, "2026-11-24T%02u:%02u:%02u.%03uZ ", unsigned(t / 3600 % 24),
                    unsigned(t / 60 % 60), unsigned(t % 60), unsigned(r.Below(1000)));
      out += head;
    }
    out.append(line, static_cast<size_t>(len));
    out += '\n';
  }
  out.resize(n);
  return out;
}

void WriteFile(const std::string& path, const std::string& data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data.data(), 1, data.size(), f) != data.size() || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
}

void MkDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    std::perror(path.c_str());
    std::exit(1);
  }
}

std::string SmallPath(const std::string& dir, int i) {
  char buf[64];
  static const char* const ext[] = {"conf", "log", "json", "yaml"};
  std::snprintf(buf, sizeof buf, "/small/d%03d/f%05d.%s", i / 100, i, ext[i % 4]);
  return dir + buf;
}

std::string MediumPath(const std::string& dir, int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "/medium/m%03d.dat", i);
  return dir + buf;
}

std::string SmallContent(Rng& r, int i) {
  size_t size = 1024 + r.Below(63 * 1024);
  return Text(r, size, i % 4 == 1);
}

// Medium files: a third random, a third text, a third half text half random.
std::string MediumContent(Rng& r, int i) {
  size_t size = (1 << 20) + r.Below(15 << 20);
  std::string data;
  switch (i % 3) {
    case 0:
      data.resize(size);
      RandomBytes(r, data.data(), size);
      break;
    case 1:
      data = Text(r, size, true);
      break;
    default:
      data = Text(r, size / 2, false);
      data.resize(size);
      RandomBytes(r, data.data() + size / 2, size - size / 2);
  }
  return data;
}

constexpr int kSmall = 20000;
constexpr int kMedium = 150;
constexpr size_t kLarge = 200u << 20;

void Create(const std::string& dir) {
  MkDir(dir);
  MkDir(dir + "/small");
  MkDir(dir + "/medium");
  MkDir(dir + "/large");
  Rng r(2026);
  for (int d = 0; d < kSmall / 100; ++d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "/small/d%03d", d);
    MkDir(dir + buf);
  }
  for (int i = 0; i < kSmall; ++i) WriteFile(SmallPath(dir, i), SmallContent(r, i));
  for (int i = 0; i < kMedium; ++i) WriteFile(MediumPath(dir, i), MediumContent(r, i));
  std::string big(kLarge, '\0');
  RandomBytes(r, big.data(), big.size());
  WriteFile(dir + "/large/random.bin", big);
  WriteFile(dir + "/large/app.log", Text(r, kLarge, true));
  // Binary with repeated regions: 1 MiB blocks drawn from a pool of 40.
  std::vector<std::string> pool(40, std::string(1 << 20, '\0'));
  for (auto& p : pool) RandomBytes(r, p.data(), p.size());
  for (size_t off = 0; off < big.size(); off += 1 << 20) {
    const std::string& p = pool[r.Below(pool.size())];
    std::memcpy(big.data() + off, p.data(), p.size());
  }
  WriteFile(dir + "/large/repeated.bin", big);
}

void Mutate(const std::string& dir) {
  Rng r(7);
  // ~5% edited or appended.
  for (int k = 0; k < kSmall / 20; ++k) {
    int i = static_cast<int>(r.Below(kSmall));
    std::string path = SmallPath(dir, i);
    int fd = open(path.c_str(), O_WRONLY);
    if (fd < 0) continue;
    std::string patch = Text(r, 200 + r.Below(2000), i % 4 == 1);
    if (k % 2 == 0) {
      lseek(fd, 0, SEEK_END);
    } else {
      struct stat st;
      fstat(fd, &st);
      lseek(fd, static_cast<off_t>(r.Below(static_cast<uint64_t>(st.st_size))), SEEK_SET);
    }
    if (write(fd, patch.data(), patch.size()) < 0) std::perror(path.c_str());
    close(fd);
  }
  for (int k = 0; k < kMedium / 20; ++k) {
    std::string path = MediumPath(dir, static_cast<int>(r.Below(kMedium)));
    int fd = open(path.c_str(), O_WRONLY | O_APPEND);
    if (fd < 0) continue;
    std::string patch = Text(r, 64 << 10, true);
    if (write(fd, patch.data(), patch.size()) < 0) std::perror(path.c_str());
    close(fd);
  }
  // ~1% deleted, ~1% added.
  for (int k = 0; k < kSmall / 100; ++k) unlink(SmallPath(dir, static_cast<int>(r.Below(kSmall))).c_str());
  unlink(MediumPath(dir, static_cast<int>(r.Below(kMedium))).c_str());
  for (int k = 0; k < 10; ++k) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "/small/d1%02d", k);
    MkDir(dir + buf);
  }
  for (int k = 0; k < kSmall / 100; ++k) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "/small/d1%02d/new%05d.conf", k % 10, k);
    WriteFile(dir + buf, SmallContent(r, k));
  }
  WriteFile(dir + "/medium/new-1.dat", MediumContent(r, 1));
  WriteFile(dir + "/medium/new-2.dat", MediumContent(r, 2));
  // 2% of one large file rewritten in scattered 64 KiB regions.
  int fd = open((dir + "/large/random.bin").c_str(), O_WRONLY);
  std::string region(64 << 10, '\0');
  for (size_t k = 0; k < kLarge / 50 / region.size(); ++k) {
    RandomBytes(r, region.data(), region.size());
    off_t off = static_cast<off_t>(r.Below(kLarge / region.size()) * region.size());
    if (pwrite(fd, region.data(), region.size(), off) < 0) std::perror("pwrite");
  }
  close(fd);
}

void SmallFiles(const std::string& dir, long n) {
  MkDir(dir);
  Rng r(7);
  long per_quarter = (n + 3) / 4;
  for (long i = 0; i < n; ++i) {
    char sub[64];
    long q = i / per_quarter, k = i % per_quarter;
    if (k % 1000 == 0) {
      std::snprintf(sub, sizeof sub, "/q%ld", q);
      if (k == 0) MkDir(dir + sub);
      std::snprintf(sub, sizeof sub, "/q%ld/d%04ld", q, k / 1000);
      MkDir(dir + sub);
    }
    std::snprintf(sub, sizeof sub, "/q%ld/d%04ld/f%07ld.conf", q, k / 1000, i);
    WriteFile(dir + sub, Text(r, 200 + r.Below(1848), false));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "smallfiles") == 0) {
    SmallFiles(argv[2], std::atol(argv[3]));
    return 0;
  }
  if (argc != 3 || (std::strcmp(argv[1], "create") != 0 && std::strcmp(argv[1], "mutate") != 0)) {
    std::fprintf(stderr, "usage: gen_dataset create|mutate DIR | smallfiles DIR N\n");
    return 2;
  }
  if (std::strcmp(argv[1], "create") == 0) {
    Create(argv[2]);
  } else {
    Mutate(argv[2]);
  }
  return 0;
}
