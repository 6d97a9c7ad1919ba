#include "repo/index.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

namespace lifeboat {

namespace {

// Reads an index file as a stream of JSON events (nlohmann's SAX interface):
// no document tree, so a file with 100,000 blobs costs the blobs and nothing
// more. Accepts restic's layout in any key order and whitespace; anything
// else is kCorrupt with a reason.
class IndexSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  IndexSax(std::vector<IndexedPack>* out, std::vector<Id>* supersedes) : out_(out), supersedes_(supersedes) {}

  Status status() const { return status_; }

  bool null() override { return Scalar(Value{}); }
  bool boolean(bool) override { return Scalar(Value{}); }
  bool number_integer(number_integer_t v) override {
    Value x;
    x.kind = v < 0 ? Value::kBad : Value::kNumber;
    x.number = v < 0 ? 0 : static_cast<uint64_t>(v);
    return Scalar(x);
  }
  bool number_unsigned(number_unsigned_t v) override {
    Value x;
    x.kind = Value::kNumber;
    x.number = v;
    return Scalar(x);
  }
  bool number_float(number_float_t, const string_t&) override {
    Value x;
    x.kind = Value::kBad;
    return Scalar(x);
  }
  bool string(string_t& v) override {
    Value x;
    x.kind = Value::kString;
    x.text = &v;
    return Scalar(x);
  }
  bool binary(binary_t&) override { return Fail("index: unexpected binary value"); }

  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 1) return true;                                   // the document
    if (where_ == kPacks && depth_ == 3) return StartPack();         // {"id":...,"blobs":[...]}
    if (where_ == kBlobs && depth_ == 5) return StartBlob();         // {"id":...,"type":...}
    return Skip();
  }
  bool end_object() override {
    if (where_ == kBlob && depth_ == 5) {
      if (!EndBlob()) return false;
    } else if (where_ == kPack && depth_ == 3) {
      if (!have_pack_id_) return Fail("index: pack entry without id");
      where_ = kPacks;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 1) {  // format 1 also allowed a bare array of packs
      where_ = kPacks;
      depth_ = 2;
      bare_ = true;
      return true;
    }
    if (depth_ == 2 && key_ == "packs") where_ = kPacks;
    else if (depth_ == 2 && key_ == "supersedes") where_ = kSupersedes;
    else if (where_ == kPack && depth_ == 4 && key_ == "blobs") where_ = kBlobs;
    return true;
  }
  bool end_array() override {
    if (where_ == kBlobs && depth_ == 4) where_ = kPack;
    else if ((where_ == kPacks || where_ == kSupersedes) && depth_ == 2) where_ = kTop;
    --depth_;
    if (bare_ && depth_ == 1) depth_ = 0;
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
    return Fail("index is not valid JSON (at byte " + std::to_string(position) + ")");
  }

 private:
  struct Value {
    enum Kind { kOther, kString, kNumber, kBad } kind = kOther;
    const std::string* text = nullptr;
    uint64_t number = 0;
  };
  enum Where { kTop, kSupersedes, kPacks, kPack, kBlobs, kBlob };

  bool Fail(std::string m) {
    if (status_.ok()) status_ = Corrupt(std::move(m));
    return false;
  }
  bool Skip() { return true; }  // unknown objects are ignored, like unknown keys

  bool StartPack() {
    where_ = kPack;
    have_pack_id_ = false;
    out_->push_back(IndexedPack{});
    return true;
  }
  bool StartBlob() {
    where_ = kBlob;
    blob_ = PackedBlob{};
    have_blob_id_ = have_type_ = false;
    bad_number_ = false;
    return true;
  }
  bool EndBlob() {
    where_ = kBlobs;
    if (!have_blob_id_ || !have_type_) {
      return Fail("index: blob entry in pack " + out_->back().id.Short() + " is malformed");
    }
    if (bad_number_) return Fail("index: blob " + blob_.id.Short() + " has an invalid offset or length");
    if (Status bounds = blob_.CheckBounds(); !bounds.ok()) return Fail("index: " + bounds.message());
    out_->back().blobs.push_back(blob_);
    return true;
  }

  bool Scalar(const Value& v) {
    if (where_ == kPacks && depth_ == 2) return Fail("index: pack entry without id");
    if (where_ == kBlobs && depth_ == 4) return Fail("index: blob entry is not an object");
    if (where_ == kSupersedes && depth_ == 2) {
      if (v.kind != Value::kString) return Fail("index: supersedes entry is not a string");
      auto id = Id::FromHex(*v.text);
      if (!id) return Fail("index: invalid id in supersedes");
      if (supersedes_ != nullptr) supersedes_->push_back(*id);
      return true;
    }
    if (where_ == kPack && depth_ == 3 && key_ == "id") {
      auto id = v.kind == Value::kString ? Id::FromHex(*v.text) : std::nullopt;
      if (!id) return Fail("index: invalid pack id");
      out_->back().id = *id;
      have_pack_id_ = true;
      return true;
    }
    if (where_ == kPack && depth_ == 3 && key_ == "blobs" && v.kind != Value::kOther) {
      return Fail("index: blobs of a pack is not an array");
    }
    if (depth_ == 1 && key_ == "packs" && v.kind != Value::kOther) return Fail("index: packs is not an array");
    if (where_ != kBlob || depth_ != 5) return true;
    if (key_ == "id") {
      auto id = v.kind == Value::kString ? Id::FromHex(*v.text) : std::nullopt;
      if (!id) return Fail("index: blob entry in pack " + out_->back().id.Short() + " is malformed");
      blob_.id = *id;
      have_blob_id_ = true;
    } else if (key_ == "type") {
      if (v.kind != Value::kString || (*v.text != "data" && *v.text != "tree")) {
        return Fail("index: blob entry in pack " + out_->back().id.Short() + " is malformed");
      }
      blob_.type = *v.text == "tree" ? BlobType::kTree : BlobType::kData;
      have_type_ = true;
    } else if (key_ == "offset" || key_ == "length" || key_ == "uncompressed_length") {
      if (v.kind != Value::kNumber || v.number > 0xffffffffull) {
        bad_number_ = true;
        return true;
      }
      uint32_t n = static_cast<uint32_t>(v.number);
      if (key_ == "offset") blob_.offset = n;
      else if (key_ == "length") blob_.length = n;
      else blob_.uncompressed_length = n;
    }
    return true;
  }

  std::vector<IndexedPack>* out_;
  std::vector<Id>* supersedes_;
  Status status_;
  int depth_ = 0;
  Where where_ = kTop;
  bool bare_ = false;
  std::string key_;
  PackedBlob blob_;
  bool have_pack_id_ = false, have_blob_id_ = false, have_type_ = false, bad_number_ = false;
};

}  // namespace

Result<std::vector<IndexedPack>> ParseIndexJson(std::string_view json, std::vector<Id>* supersedes) {
  std::vector<IndexedPack> out;
  IndexSax sax(&out, supersedes);
  bool ok = nlohmann::json::sax_parse(json, &sax);
  if (!sax.status().ok()) return sax.status();
  if (!ok) return Corrupt("index is not valid JSON");
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
    Entry e{b.id, number, b.offset, b.length, b.uncompressed_length};
    if (!blobs_[static_cast<int>(b.type)].Insert(e)) {
      // Already known. The same location again (an index file listing a
      // pack twice) is not a copy.
      const Entry* first = blobs_[static_cast<int>(b.type)].Find(b.id);
      if (first->pack != number || first->offset != b.offset) duplicates_.emplace_back(b.type, e);
    }
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
    const std::function<void(const Id&, std::vector<PackedBlob>&)>& fn) const {
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
    for (const auto& [type, e] : duplicates_) {
      by_pack[e.pack].push_back(PackedBlob{type, e.id, e.offset, e.length, e.uncompressed_length});
    }
  }
  for (size_t i = 0; i < packs.size(); ++i) {
    std::vector<PackedBlob>& v = by_pack[i];
    std::sort(v.begin(), v.end(), [](const PackedBlob& a, const PackedBlob& b) { return a.offset < b.offset; });
    // A copy listed by two index files appears once.
    v.erase(std::unique(v.begin(), v.end(),
                        [](const PackedBlob& a, const PackedBlob& b) { return a.offset == b.offset; }),
            v.end());
    fn(packs[i], by_pack[i]);
  }
}

}  // namespace lifeboat
