#include "io/zstd.h"

#include <zstd.h>

#include "base/bytes.h"

namespace lifeboat {
namespace {

// Contexts are expensive to create; keep one per thread.
ZSTD_CCtx* ThreadCCtx() {
  thread_local struct Holder {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    ~Holder() { ZSTD_freeCCtx(ctx); }
  } holder;
  return holder.ctx;
}

ZSTD_DCtx* ThreadDCtx() {
  thread_local struct Holder {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    ~Holder() { ZSTD_freeDCtx(ctx); }
  } holder;
  return holder.ctx;
}

}  // namespace

size_t ZstdBound(size_t n) { return ZSTD_compressBound(n); }

size_t ZstdCompressTo(std::string_view data, char* out, size_t capacity, int level) {
  ZSTD_CCtx* ctx = ThreadCCtx();
  ZSTD_CCtx_reset(ctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 0);
  size_t n = ZSTD_compress2(ctx, out, capacity, data.data(), data.size());
  return ZSTD_isError(n) ? 0 : n;
}

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZstdCompressTo(data, out.data(), out.size(), level));
  return out;
}

Result<std::string> ZstdDecompress(std::string_view data, size_t expected_size, size_t max_size) {
  if (expected_size > max_size) {
    return Corrupt("declared size of " + std::to_string(expected_size) + " bytes is more than the " +
                   HumanBytes(max_size) + " allowed");
  }
  unsigned long long frame = ZSTD_getFrameContentSize(data.data(), data.size());
  if (frame == ZSTD_CONTENTSIZE_ERROR) return Corrupt("not a zstd frame");
  ZSTD_DCtx* ctx = ThreadDCtx();
  if (frame != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (expected_size != 0 && frame != expected_size) {
      return Corrupt("zstd frame holds " + std::to_string(frame) + " bytes, expected " +
                     std::to_string(expected_size));
    }
    if (frame > max_size) {
      return Corrupt("zstd frame declares " + std::to_string(frame) + " bytes, more than the " +
                     HumanBytes(max_size) + " allowed");
    }
    std::string out(frame, '\0');
    size_t n = ZSTD_decompressDCtx(ctx, out.data(), out.size(), data.data(), data.size());
    if (ZSTD_isError(n) || n != frame) {
      return Corrupt(std::string("zstd: ") + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
    }
    return out;
  }
  // Streaming frame without a declared size (restic writes these for
  // unpacked files): decompress incrementally.
  ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only);
  std::string out;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  while (true) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    size_t ret = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(ret)) return Corrupt(std::string("zstd: ") + ZSTD_getErrorName(ret));
    out.append(buf.data(), o.pos);
    if (expected_size != 0 && out.size() > expected_size) return Corrupt("zstd output too large");
    if (out.size() > max_size) {
      return Corrupt("zstd frame expands past the " + HumanBytes(max_size) + " allowed");
    }
    if (ret == 0) break;
    if (in.pos == in.size && o.pos < o.size) return Corrupt("zstd: truncated frame");
  }
  if (in.pos != in.size) return Corrupt("zstd: trailing bytes after frame");
  return out;
}

}  // namespace lifeboat
