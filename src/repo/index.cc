#include "repo/index.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

namespace lifeboat {

Result<std::vector<IndexedPack>> ParseIndexJson(std::string_view json, std::vector<Id>* supersedes) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) return Corrupt("index is not valid JSON");
  // Format version 1 also allowed a bare array of packs (very old restic).
  const nlohmann::json* packs = nullptr;
  if (j.is_object()) {
    if (j.contains("supersedes") && j["supersedes"].is_array() && supersedes != nullptr) {
      for (const auto& s : j["supersedes"]) {
        if (!s.is_string()) return Corrupt("index: supersedes entry is not a string");
        auto id = Id::FromHex(s.get<std::string>());
        if (!id) return Corrupt("index: invalid id in supersedes");
        supersedes->push_back(*id);
      }
    }
    if (j.contains("packs")) packs = &j["packs"];
  } else if (j.is_array()) {
    packs = &j;
  }
  std::vector<IndexedPack> out;
  if (packs == nullptr || packs->is_null()) return out;
  if (!packs->is_array()) return Corrupt("index: packs is not an array");
  for (const auto& p : *packs) {
    if (!p.is_object() || !p.contains("id") || !p["id"].is_string()) {
      return Corrupt("index: pack entry without id");
    }
    auto pid = Id::FromHex(p["id"].get<std::string>());
    if (!pid) return Corrupt("index: invalid pack id");
    IndexedPack ip{*pid, {}};
    if (p.contains("blobs") && p["blobs"].is_array()) {
      for (const auto& b : p["blobs"]) {
        if (!b.is_object()) return Corrupt("index: blob entry is not an object");
        auto bid = b.contains("id") && b["id"].is_string() ? Id::FromHex(b["id"].get<std::string>())
                                                           : std::nullopt;
        std::string type = b.value("type", std::string());
        if (!bid || (type != "data" && type != "tree")) {
          return Corrupt("index: blob entry in pack " + pid->Short() + " is malformed");
        }
        auto u32 = [&](const char* name) -> int64_t {
          if (!b.contains(name)) return 0;
          if (!b[name].is_number_unsigned()) return -1;
          uint64_t v = b[name].get<uint64_t>();
          return v > 0xffffffffull ? -1 : static_cast<int64_t>(v);
        };
        int64_t offset = u32("offset"), length = u32("length"), ulen = u32("uncompressed_length");
        if (offset < 0 || length < 0 || ulen < 0) {
          return Corrupt("index: blob " + bid->Short() + " has an invalid offset or length");
        }
        ip.blobs.push_back(PackedBlob{type == "tree" ? BlobType::kTree : BlobType::kData, *bid,
                                      static_cast<uint32_t>(offset), static_cast<uint32_t>(length),
                                      static_cast<uint32_t>(ulen)});
      }
    }
    out.push_back(std::move(ip));
  }
  return out;
}

std::string EncodeIndexJson(const std::vector<IndexedPack>& packs, const std::vector<Id>& supersedes) {
  // Written by hand: this is the largest JSON lifeboat writes, and the layout is fixed.
  std::string out = "{";
  if (!supersedes.empty()) {
    out += "\"supersedes\":[";
    for (size_t i = 0; i < supersedes.size(); ++i) {
      if (i) out += ',';
      out += '"' + supersedes[i].Hex() + '"';
    }
    out += "],";
  }
  out += "\"packs\":[";
  for (size_t i = 0; i < packs.size(); ++i) {
    if (i) out += ',';
    out += "{\"id\":\"" + packs[i].id.Hex() + "\",\"blobs\":[";
    for (size_t k = 0; k < packs[i].blobs.size(); ++k) {
      const PackedBlob& b = packs[i].blobs[k];
      if (k) out += ',';
      out += "{\"id\":\"" + b.id.Hex() + "\",\"type\":\"" + std::string(BlobTypeName(b.type)) +
             "\",\"offset\":" + std::to_string(b.offset) + ",\"length\":" + std::to_string(b.length);
      if (b.compressed()) out += ",\"uncompressed_length\":" + std::to_string(b.uncompressed_length);
      out += '}';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

namespace {

int CompareIds(const Id& a, const Id& b) { return std::memcmp(a.bytes.data(), b.bytes.data(), 32); }

}  // namespace

const MasterIndex::Entry* MasterIndex::Table::Find(const Id& id) const {
  const Shard& shard = shards[(size_t{id.bytes[0]} << 4) | (id.bytes[1] >> 4)];
  const Entry* first = shard.entries.data();
  const Entry* last = first + shard.sorted;
  while (first < last) {  // binary search in the sorted run
    const Entry* mid = first + (last - first) / 2;
    int c = CompareIds(mid->id, id);
    if (c == 0) return mid;
    if (c < 0) {
      first = mid + 1;
    } else {
      last = mid;
    }
  }
  for (size_t i = shard.sorted; i < shard.entries.size(); ++i) {
    if (shard.entries[i].id == id) return &shard.entries[i];
  }
  return nullptr;
}

bool MasterIndex::Table::Insert(const Entry& e) {
  static_assert(sizeof(Entry) == 48, "an index entry is 48 bytes");
  if (Find(e.id) != nullptr) return false;
  Shard& shard = shards[(size_t{e.id.bytes[0]} << 4) | (e.id.bytes[1] >> 4)];
  std::vector<Entry>& v = shard.entries;
  if (v.size() == v.capacity()) v.reserve(v.size() + v.size() / 4 + 4);
  v.push_back(e);
  ++size;
  size_t tail = v.size() - shard.sorted;
  if (tail > 8 + shard.sorted / 32) {
    auto less = [](const Entry& a, const Entry& b) { return CompareIds(a.id, b.id) < 0; };
    std::sort(v.begin() + shard.sorted, v.end(), less);
    std::inplace_merge(v.begin(), v.begin() + shard.sorted, v.end(), less);
    shard.sorted = static_cast<uint32_t>(v.size());
  }
  return true;
}

void MasterIndex::Table::Compact() {
  for (Shard& shard : shards) shard.entries.shrink_to_fit();
}

void MasterIndex::AddPack(const Id& pack, const std::vector<PackedBlob>& blobs) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = pack_numbers_.try_emplace(pack, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.push_back(pack);
  uint32_t number = it->second;
  for (const PackedBlob& b : blobs) {
    blobs_[static_cast<int>(b.type)].Insert(Entry{b.id, number, b.offset, b.length, b.uncompressed_length});
  }
}

bool MasterIndex::Has(BlobType type, const Id& id) const {
  std::shared_lock lock(mu_);
  return blobs_[static_cast<int>(type)].Find(id) != nullptr;
}

std::optional<BlobLocation> MasterIndex::Lookup(BlobType type, const Id& id) const {
  std::shared_lock lock(mu_);
  const Entry* e = blobs_[static_cast<int>(type)].Find(id);
  if (e == nullptr) return std::nullopt;
  return BlobLocation{packs_[e->pack], PackedBlob{type, id, e->offset, e->length, e->uncompressed_length}};
}

bool MasterIndex::HasPack(const Id& pack) const {
  std::shared_lock lock(mu_);
  return pack_numbers_.count(pack) != 0;
}

void MasterIndex::Compact() {
  std::unique_lock lock(mu_);
  blobs_[0].Compact();
  blobs_[1].Compact();
}

size_t MasterIndex::MemoryUsage() const {
  std::shared_lock lock(mu_);
  size_t bytes = 0;
  for (const Table& t : blobs_) {
    bytes += t.shards.capacity() * sizeof(Shard);
    for (const Shard& s : t.shards) bytes += s.entries.capacity() * sizeof(Entry);
  }
  return bytes;
}

size_t MasterIndex::blob_count() const {
  std::shared_lock lock(mu_);
  return blobs_[0].size + blobs_[1].size;
}

size_t MasterIndex::pack_count() const {
  std::shared_lock lock(mu_);
  return packs_.size();
}

void MasterIndex::ForEachPack(
    const std::function<void(const Id&, const std::vector<PackedBlob>&)>& fn) const {
  std::vector<std::vector<PackedBlob>> by_pack;
  std::vector<Id> packs;
  {
    std::shared_lock lock(mu_);
    packs = packs_;
    by_pack.resize(packs_.size());
    for (int t = 0; t < 2; ++t) {
      for (const Shard& shard : blobs_[t].shards) {
        for (const Entry& e : shard.entries) {
          by_pack[e.pack].push_back(
              PackedBlob{static_cast<BlobType>(t), e.id, e.offset, e.length, e.uncompressed_length});
        }
      }
    }
  }
  for (size_t i = 0; i < packs.size(); ++i) {
    std::sort(by_pack[i].begin(), by_pack[i].end(),
              [](const PackedBlob& a, const PackedBlob& b) { return a.offset < b.offset; });
    fn(packs[i], by_pack[i]);
  }
}

}  // namespace lifeboat
