// pg_dump's custom archive format, just enough of it to add the data
// offsets to an archive that was written to a pipe.
//
// pg_dump records where each table's data starts only when its output is
// seekable; lifeboat streams the dump from a pipe, so the table of contents
// says "offset not set", and pg_restore --jobs then makes every worker scan
// the archive for its data, reading an uncompressed dump again and again.
// Uncompressed pg_dump also writes every row as a chunk of its own, which
// makes pg_restore send millions of tiny COPY messages. Before a parallel
// restore, lifeboat stages the dump in a file and rewrites its data section
// in place: chunks merged into pieces of up to 1 MiB (the rewritten data is
// shorter, so the rewrite never overtakes what it still has to read), and
// each block's offset written into the table of contents (exactly what
// pg_dump does when it can seek), so pg_restore seeks straight to it.
#pragma once

#include <string>

#include "base/status.h"

namespace lifeboat::pg {

// Rewrites the archive at `path` in place. Ok with nothing done if it is
// not an uncompressed custom-format archive of format 1.12–1.14 (pg_dump
// 11–15) or has its offsets already; kCorrupt if it is malformed (then the
// file may be half rewritten: it is a staging copy).
Status PrepareForParallelRestore(const std::string& path, int* patched = nullptr);

}  // namespace lifeboat::pg
