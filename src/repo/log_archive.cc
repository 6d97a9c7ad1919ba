#include "repo/log_archive.h"

#include "io/zstd.h"

namespace lifeboat {
namespace {

constexpr char kZstdEncoding = 2;  // the first plaintext byte, as in restic's unpacked files

}  // namespace

Result<std::string> LogArchive::Decode(const std::string& name, std::string_view sealed) {
  std::string what = noun_ + " " + name + " in the archive";
  auto plain = repo_.key().Open(sealed);
  if (!plain.ok()) return plain.status().WithContext(what);
  if (plain->empty() || (*plain)[0] != kZstdEncoding) return Corrupt(what + ": unknown encoding");
  auto data = ZstdDecompress(std::string_view(*plain).substr(1));
  if (!data.ok()) return data.status().WithContext(what);
  return data;
}

Result<LogArchive::PutResult> LogArchive::Put(const std::string& name, std::string_view data) {
  PutResult r;
  // Stored before? Then it must be the same file (a retry after a crash or
  // a lost answer); anything else is a second writer archiving here.
  auto existing = repo_.storage().Load(FileType::kLog, name, 0, 0);
  if (existing.ok()) {
    LB_ASSIGN_OR_RETURN(std::string old, Decode(name, *existing));
    if (old != data) {
      return AlreadyExists(noun_ + " " + name +
                           " is archived already with different contents "
                           "(is another server archiving into this repository?)");
    }
    r.already_archived = true;
    r.stored = existing->size();
    return r;
  }
  if (existing.status().code() != Code::kNotFound) return existing.status().WithContext("archive " + name);
  std::string sealed = repo_.key().Seal(std::string(1, kZstdEncoding) + ZstdCompress(data, 1));
  r.stored = sealed.size();
  LB_RETURN_IF_ERROR(repo_.storage().Save(FileType::kLog, name, sealed).WithContext("archive " + name));
  return r;
}

Result<std::string> LogArchive::Get(const std::string& name) {
  auto sealed = repo_.storage().Load(FileType::kLog, name, 0, 0);
  if (!sealed.ok()) {
    if (sealed.status().code() == Code::kNotFound)
      return NotFound(noun_ + " " + name + " is not in the archive");
    return sealed.status().WithContext("read " + noun_ + " " + name);
  }
  return Decode(name, *sealed);
}

Status LogArchive::List(const std::function<void(const ObjectInfo&)>& fn) {
  return repo_.storage().List(FileType::kLog, fn);
}

Status LogArchive::Remove(const std::string& name) { return repo_.storage().Remove(FileType::kLog, name); }

}  // namespace lifeboat
