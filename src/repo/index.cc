#include "repo/index.h"

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

void MasterIndex::AddPack(const Id& pack, const std::vector<PackedBlob>& blobs) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = pack_numbers_.try_emplace(pack, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.push_back(pack);
  uint32_t number = it->second;
  for (const PackedBlob& b : blobs) {
    blobs_[static_cast<int>(b.type)].try_emplace(
        b.id, Entry{number, b.offset, b.length, b.uncompressed_length});
  }
}

bool MasterIndex::Has(BlobType type, const Id& id) const {
  std::shared_lock lock(mu_);
  return blobs_[static_cast<int>(type)].count(id) != 0;
}

std::optional<BlobLocation> MasterIndex::Lookup(BlobType type, const Id& id) const {
  std::shared_lock lock(mu_);
  const auto& map = blobs_[static_cast<int>(type)];
  auto it = map.find(id);
  if (it == map.end()) return std::nullopt;
  const Entry& e = it->second;
  return BlobLocation{packs_[e.pack], PackedBlob{type, id, e.offset, e.length, e.uncompressed_length}};
}

bool MasterIndex::HasPack(const Id& pack) const {
  std::shared_lock lock(mu_);
  return pack_numbers_.count(pack) != 0;
}

size_t MasterIndex::blob_count() const {
  std::shared_lock lock(mu_);
  return blobs_[0].size() + blobs_[1].size();
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
      for (const auto& [id, e] : blobs_[t]) {
        by_pack[e.pack].push_back(
            PackedBlob{static_cast<BlobType>(t), id, e.offset, e.length, e.uncompressed_length});
      }
    }
  }
  for (size_t i = 0; i < packs.size(); ++i) fn(packs[i], by_pack[i]);
}

}  // namespace lifeboat
