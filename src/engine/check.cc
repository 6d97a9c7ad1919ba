#include "engine/check.h"

#include <future>
#include <map>
#include <set>
#include <unordered_set>

#include "base/bytes.h"
#include "base/thread_pool.h"
#include "repo/tree.h"

namespace lifeboat {
namespace {

constexpr size_t kPlainEntrySize = 37;
constexpr size_t kCompressedEntrySize = 41;

uint64_t ExpectedPackSize(const std::vector<PackedBlob>& blobs) {
  uint64_t size = 4 + kCryptoOverhead;
  for (const PackedBlob& b : blobs) {
    size += b.length + (b.compressed() ? kCompressedEntrySize : kPlainEntrySize);
  }
  return size;
}

// Reads a whole pack and checks it against its name, its header and the index.
std::vector<std::string> ReadPack(Repository& repo, const Id& pack, uint64_t size,
                                  const std::vector<PackedBlob>& indexed, uint64_t* bytes_read) {
  std::vector<std::string> errors;
  std::string name = "pack " + pack.Hex();
  auto data = repo.storage().Load(FileType::kPack, pack.Hex());
  if (!data.ok()) return {name + ": " + data.status().message()};
  *bytes_read += data->size();
  if (Id::Hash(*data) != pack) errors.push_back(name + ": content does not match its name");
  if (data->size() != size) errors.push_back(name + ": size changed while reading");
  if (data->size() < 4 + kCryptoOverhead) return {name + ": too short to hold a header"};
  uint32_t header_len = DecodeFixed32(data->data() + data->size() - 4);
  if (uint64_t(header_len) + 4 > data->size() || header_len < kCryptoOverhead) {
    errors.push_back(name + ": header length is impossible");
    return errors;
  }
  std::string_view sealed(data->data() + data->size() - 4 - header_len, header_len);
  auto plain = repo.key().Open(sealed);
  if (!plain.ok()) {
    errors.push_back(name + ": header: " + plain.status().message());
    return errors;
  }
  auto blobs = ParsePackHeader(*plain, data->size() - 4 - header_len);
  if (!blobs.ok()) {
    errors.push_back(name + ": " + blobs.status().message());
    return errors;
  }
  std::set<std::pair<Id, uint32_t>> in_header;
  for (const PackedBlob& b : *blobs) {
    in_header.insert({b.id, b.offset});
    auto content = OpenBlob(repo.key(), b, std::string_view(*data).substr(b.offset, b.length));
    if (!content.ok()) {
      errors.push_back(name + ": " + std::string(BlobTypeName(b.type)) + " blob " + b.id.Hex() +
                       ": " + content.status().message());
    }
  }
  for (const PackedBlob& b : indexed) {
    if (!in_header.count({b.id, b.offset})) {
      errors.push_back(name + ": blob " + b.id.Hex() + " is in the index but not in the pack header");
    }
  }
  return errors;
}

}  // namespace

Result<CheckReport> RunCheck(Repository& repo, const CheckOptions& options, ProgressCounters* progress) {
  CheckReport report;
  // Snapshots are listed before the index is read (restic's read order), so a
  // snapshot written meanwhile cannot point at an index we have not read.
  LB_ASSIGN_OR_RETURN(std::vector<Id> snapshot_ids, repo.ListIds(FileType::kSnapshot));

  // 1. Index files.
  LB_ASSIGN_OR_RETURN(std::vector<Id> index_ids, repo.ListIds(FileType::kIndex));
  for (const Id& id : index_ids) {
    auto json = repo.LoadUnpacked(FileType::kIndex, id);
    if (!json.ok()) {
      report.errors.push_back("index " + id.Hex() + ": " + json.status().message());
      continue;
    }
    auto packs = ParseIndexJson(*json, nullptr);
    if (!packs.ok()) {
      report.errors.push_back("index " + id.Hex() + ": " + packs.status().message());
      continue;
    }
    for (const IndexedPack& p : *packs) repo.index().AddPack(p.id, p.blobs);
    report.index_files++;
  }

  // 2. Packs: present, of the size the index implies; unindexed ones are hints.
  std::map<Id, uint64_t> stored;
  LB_RETURN_IF_ERROR(repo.storage().List(FileType::kPack, [&](const ObjectInfo& o) {
    if (auto id = Id::FromHex(o.name)) {
      stored[*id] = o.size;
    } else {
      report.hints.push_back("data/" + o.name + ": not a pack file name");
    }
  }));
  std::set<Id> bad_packs;
  std::map<Id, std::vector<PackedBlob>> indexed;
  repo.index().ForEachPack([&](const Id& pack, std::vector<PackedBlob>& blobs) {
    indexed[pack] = std::move(blobs);
  });
  for (const auto& [pack, blobs] : indexed) {
    auto it = stored.find(pack);
    if (it == stored.end()) {
      report.errors.push_back("pack " + pack.Hex() + ": missing (the index names it, storage lacks it)");
      bad_packs.insert(pack);
      continue;
    }
    uint64_t want = ExpectedPackSize(blobs);
    if (it->second != want) {
      report.errors.push_back("pack " + pack.Hex() + ": size " + std::to_string(it->second) +
                              " does not match the " + std::to_string(want) + " bytes the index implies");
      bad_packs.insert(pack);
    }
  }
  for (const auto& [pack, size] : stored) {
    if (!indexed.count(pack)) {
      report.hints.push_back("pack " + pack.Hex() + ": not referenced by any index (" +
                             std::to_string(size) + " bytes; a later backup adopts it, prune removes it)");
    }
  }
  report.packs = stored.size();

  // 3. Snapshots and trees: every tree readable, every blob indexed.
  std::unordered_set<Id, IdHash> seen_trees;
  std::vector<Snapshot> snapshots;
  for (const Id& id : snapshot_ids) {
    auto s = repo.LoadSnapshot(id);
    if (!s.ok()) {
      report.errors.push_back("snapshot " + id.Hex() + ": " + s.status().message());
      continue;
    }
    snapshots.push_back(*s);
    report.snapshots++;
    std::vector<std::pair<Id, std::string>> stack = {{s->tree, "/"}};
    while (!stack.empty()) {
      auto [tree_id, path] = stack.back();
      stack.pop_back();
      if (!seen_trees.insert(tree_id).second) continue;
      report.trees++;
      auto json = repo.LoadBlob(BlobType::kTree, tree_id);
      if (!json.ok()) {
        report.errors.push_back("snapshot " + id.Short() + ": tree " + tree_id.Hex() + " at " + path +
                                ": " + json.status().message());
        continue;
      }
      auto tree = DecodeTree(*json);
      if (!tree.ok()) {
        report.errors.push_back("tree " + tree_id.Hex() + ": " + tree.status().message());
        continue;
      }
      for (const Node& n : tree->nodes) {
        std::string child = path == "/" ? "/" + n.name : path + "/" + n.name;
        if (n.type == "dir") {
          if (!n.subtree) {
            report.errors.push_back("tree " + tree_id.Hex() + ": directory " + child + " has no subtree");
          } else {
            stack.emplace_back(*n.subtree, child);
          }
        } else if (n.type == "file") {
          for (const Id& blob : n.content) {
            report.blobs++;
            if (!repo.index().Has(BlobType::kData, blob)) {
              report.errors.push_back("snapshot " + id.Short() + ": file " + child + ": data blob " +
                                      blob.Hex() + " is not in the index");
            }
          }
        }
      }
    }
  }

  // 4. Every byte.
  if (options.read_data) {
    if (progress) {
      uint64_t total = 0;
      for (const auto& [pack, size] : stored) {
        if (indexed.count(pack)) total += size;
      }
      progress->bytes_total = total;
      progress->files_total = indexed.size();
      progress->totals_final = true;
    }
    std::vector<std::string> names;
    for (const auto& entry : indexed) {
      if (stored.count(entry.first)) names.push_back(entry.first.Hex());
    }
    LB_RETURN_IF_ERROR(repo.storage().PrepareRead(FileType::kPack, names));
    ThreadPool pool(options.threads ? options.threads : ThreadPool::DefaultThreads());
    std::vector<std::pair<Id, std::future<std::pair<std::vector<std::string>, uint64_t>>>> results;
    for (const auto& entry : indexed) {
      const Id pack = entry.first;  // a plain variable: lambdas cannot capture bindings (clang 14)
      auto it = stored.find(pack);
      if (it == stored.end()) continue;
      uint64_t size = it->second;
      const auto* b = &entry.second;
      results.emplace_back(pack, pool.Submit([&repo, pack, size, b, progress] {
        uint64_t read = 0;
        auto errs = ReadPack(repo, pack, size, *b, &read);
        if (progress) {
          progress->files_done++;
          progress->bytes_done += read;
        }
        return std::make_pair(std::move(errs), read);
      }));
    }
    for (auto& [pack, f] : results) {
      auto [errs, read] = f.get();
      report.bytes_read += read;
      if (!errs.empty()) bad_packs.insert(pack);
      for (auto& e : errs) report.errors.push_back(std::move(e));
    }
  }

  // 5. Which snapshots do the bad packs hurt?
  if (!bad_packs.empty()) {
    std::unordered_set<Id, IdHash> bad_blobs;
    for (const Id& p : bad_packs) {
      for (const PackedBlob& b : indexed[p]) bad_blobs.insert(b.id);
    }
    for (const Snapshot& s : snapshots) {
      bool hit = false;
      std::vector<Id> stack = {s.tree};
      std::unordered_set<Id, IdHash> seen;
      while (!stack.empty() && !hit) {
        Id t = stack.back();
        stack.pop_back();
        if (!seen.insert(t).second) continue;
        if (bad_blobs.count(t)) {
          hit = true;
          break;
        }
        auto json = repo.LoadBlob(BlobType::kTree, t);
        if (!json.ok()) continue;
        auto tree = DecodeTree(*json);
        if (!tree.ok()) continue;
        for (const Node& n : tree->nodes) {
          if (n.subtree) stack.push_back(*n.subtree);
          for (const Id& c : n.content) hit = hit || bad_blobs.count(c) != 0;
        }
      }
      if (hit) {
        report.errors.push_back("snapshot " + s.id.Short() + " (" + FormatLocal(s.time) + ", " +
                                s.hostname + ") is affected by the damaged packs");
      }
    }
  }
  return report;
}

}  // namespace lifeboat
