#include "source/fs/files.h"

namespace lifeboat::fs {

std::string FilesSource::Display() const {
  std::string out;
  for (const auto& p : paths_) out += (out.empty() ? "" : " ") + p;
  return out;
}

Status FilesSource::Prepare(SnapshotCatalog&) {
  if (paths_.empty()) return InvalidArgument("nothing to back up: give paths or --stdin");
  return Status::Ok();
}

}  // namespace lifeboat::fs
