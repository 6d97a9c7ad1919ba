// bench_limits: what this machine can do per core for each stage of the
// backup and restore pipelines, measured with lifeboat's own code:
// SHA-256, AES-256-CTR, Poly1305-AES, zstd compress/decompress (level 3), the
// chunker, and reading a dataset from the page cache.
//
//   bench_limits [DATASET_DIR]      prints "stage MB/s" lines (1 MB = 10^6 bytes)
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "chunker/chunker.h"
#include "crypto/crypto.h"
#include "crypto/sha256.h"
#include "io/zstd.h"

using namespace lifeboat;

namespace {

double Seconds(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Text-like sample: mostly compressible, as the dataset's text files are.
std::string Sample(size_t n, bool text) {
  std::string s(n, '\0');
  uint64_t x = 42;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    s[i] = text ? "abcdefgh ijklmno\n0123456789=:"[(x >> 59) % 29] : static_cast<char>(x >> 56);
  }
  return s;
}

void Report(const char* stage, size_t bytes, double secs) {
  std::printf("%-26s %8.0f MB/s\n", stage, bytes / secs / 1e6);
}

void ReadTree(const std::string& dir, uint64_t* bytes, std::string& buf) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ReadTree(path, bytes, buf);
    } else if (S_ISREG(st.st_mode)) {
      int fd = open(path.c_str(), O_RDONLY);
      ssize_t n;
      while ((n = read(fd, buf.data(), buf.size())) > 0) *bytes += static_cast<uint64_t>(n);
      close(fd);
    }
  }
  closedir(d);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = 256 << 20;
  std::string random = Sample(n, false), text = Sample(n, true);
  std::string out(n, '\0');
  MasterKey key = MasterKey::Random();
  Report("sha256", n, Seconds([&] { Sha256(random); }));
  Report("aes-256-ctr", n, Seconds([&] {
           Aes256Ctr(key.encrypt.data(), key.mac_k.data(), random, out.data());
         }));
  Report("poly1305-aes", n, Seconds([&] { Poly1305Aes(random, key.mac_k.data(), key.mac_k, key.mac_r); }));
  std::string compressed;
  size_t chunk = 1 << 20;
  Report("zstd-3 compress (text)", n, Seconds([&] {
           for (size_t off = 0; off < n; off += chunk) compressed = ZstdCompress(std::string_view(text).substr(off, chunk));
         }));
  Report("zstd-3 compress (random)", n, Seconds([&] {
           for (size_t off = 0; off < n; off += chunk) ZstdCompress(std::string_view(random).substr(off, chunk));
         }));
  Report("zstd decompress (text)", n, Seconds([&] {
           for (size_t off = 0; off < n; off += chunk) ZstdDecompress(compressed, chunk).status().IgnoreError();
         }));
  Report("chunker", n, Seconds([&] {
           Chunker c(0x3DA3358B4DC173ull);
           const auto* p = reinterpret_cast<const uint8_t*>(random.data());
           size_t pos = 0;
           while (pos < n) {
             size_t cut = c.NextCut(p + pos, n - pos);
             if (cut == Chunker::kNoCut) break;
             pos += cut;
           }
         }));
  if (argc > 1) {
    uint64_t bytes = 0;
    std::string buf(1 << 20, '\0');
    double secs = Seconds([&] { ReadTree(argv[1], &bytes, buf); });
    Report("read dataset (page cache)", bytes, secs);
  }
  return 0;
}
