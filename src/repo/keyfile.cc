#include "repo/keyfile.h"

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <algorithm>
#include <cstring>

#include "base/bytes.h"
#include "env/env.h"

namespace lifeboat {
namespace {

std::string MasterKeyJson(const MasterKey& m) {
  auto b64 = [](const auto& a) {
    return Base64Encode(std::string_view(reinterpret_cast<const char*>(a.data()), a.size()));
  };
  nlohmann::ordered_json j;
  j["mac"]["k"] = b64(m.mac_k);
  j["mac"]["r"] = b64(m.mac_r);
  j["encrypt"] = b64(m.encrypt);
  return j.dump();
}

Result<MasterKey> MasterKeyFromJson(std::string_view text) {
  // Wrong types in the JSON (a string where a number belongs, ...) make
  // nlohmann throw: damaged input, not a crash (found by the lock fuzzer).
  try {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("master key is not a JSON object");
  MasterKey m;
  auto field = [&](const nlohmann::json& v, auto& out) -> bool {
    if (!v.is_string()) return false;
    auto raw = Base64Decode(v.get<std::string>());
    if (!raw || raw->size() != out.size()) return false;
    std::memcpy(out.data(), raw->data(), out.size());
    return true;
  };
  if (!j.contains("mac") || !j["mac"].is_object() || !field(j["mac"].value("k", nlohmann::json()), m.mac_k) ||
      !field(j["mac"].value("r", nlohmann::json()), m.mac_r) ||
      !field(j.value("encrypt", nlohmann::json()), m.encrypt) || !m.Valid()) {
    return Corrupt("master key JSON is malformed");
  }
  return m;
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("master key: malformed JSON value: ") + e.what());
  }
}

}  // namespace

KdfParams KdfParams::Calibrated() {
  const char* insecure = std::getenv("LIFEBOAT_INSECURE_TEST_KDF");
  if (insecure != nullptr && std::string_view(insecure) == "1") return KdfParams{1024, 8, 1};
  KdfParams params{32768, 8, 1};
  auto start = std::chrono::steady_clock::now();
  Scrypt(Secret("calibration"), "calibration-salt", params.n, params.r, 1).status().IgnoreError();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (secs > 0) {
    double p = 0.5 / secs;
    params.p = static_cast<uint32_t>(std::clamp(p, 1.0, 32.0));
  }
  return params;
}

Result<KeyFile> KeyFile::Create(const Secret& password, const MasterKey& master,
                                const KdfParams& params) {
  KeyFile k;
  k.created = Now();
  k.username = CurrentUserName();
  k.hostname = HostName();
  k.params = params;
  k.salt = RandomBytes(64);
  LB_ASSIGN_OR_RETURN(std::string derived, Scrypt(password, k.salt, params.n, params.r, params.p));
  MasterKey user = MasterKey::FromDerived(derived);
  OPENSSL_cleanse(derived.data(), derived.size());
  std::string plain = MasterKeyJson(master);
  k.data = user.Seal(plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  return k;
}

std::string KeyFile::ToJson() const {
  nlohmann::ordered_json j;
  j["created"] = FormatRfc3339(created);
  j["username"] = username;
  j["hostname"] = hostname;
  j["kdf"] = "scrypt";
  j["N"] = params.n;
  j["r"] = params.r;
  j["p"] = params.p;
  j["salt"] = Base64Encode(salt);
  j["data"] = Base64Encode(data);
  return j.dump();
}

Status KdfParams::CheckLimits() const {
  const uint64_t lane_bytes = 128 * uint64_t(r) * n;
  const std::string what = "scrypt parameters N=" + std::to_string(n) + " r=" + std::to_string(r) +
                           " p=" + std::to_string(p);
  if (lane_bytes > (uint64_t(1) << 30)) {
    return Corrupt(what + " would need " + HumanBytes(lane_bytes) + " of memory, more than the " + HumanBytes(uint64_t(1) << 30) + " allowed");
  }
  if (n * r * p > (uint64_t(1) << 28)) {
    return Corrupt(what + " ask for more than 1024 times restic's default work");
  }
  return Status::Ok();
}

Result<KeyFile> KeyFile::FromJson(std::string_view json) {
  // Wrong types in the JSON (a string where a number belongs, ...) make
  // nlohmann throw: damaged input, not a crash (found by the lock fuzzer).
  try {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("key file is not a JSON object");
  KeyFile k;
  if (j.value("kdf", std::string()) != "scrypt") return Corrupt("key file: kdf is not scrypt");
  auto num = [&](const char* name) -> int64_t {
    return j.contains(name) && j[name].is_number_integer() ? j[name].get<int64_t>() : -1;
  };
  int64_t n = num("N"), r = num("r"), p = num("p");
  if (n < 2 || (n & (n - 1)) != 0 || r < 1 || p < 1 || r * p >= (1 << 30) || n > (1ll << 30)) {
    return Corrupt("key file: invalid scrypt parameters");
  }
  k.params = KdfParams{static_cast<uint64_t>(n), static_cast<uint32_t>(r), static_cast<uint32_t>(p)};
  auto salt = j["salt"].is_string() ? Base64Decode(j["salt"].get<std::string>()) : std::nullopt;
  auto data = j["data"].is_string() ? Base64Decode(j["data"].get<std::string>()) : std::nullopt;
  if (!salt || !data) return Corrupt("key file: salt or data is not base64");
  k.salt = *salt;
  k.data = *data;
  k.username = j.value("username", std::string());
  k.hostname = j.value("hostname", std::string());
  if (j.contains("created") && j["created"].is_string()) {
    if (auto t = ParseRfc3339(j["created"].get<std::string>())) k.created = *t;
  }
  return k;
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("key file: malformed JSON value: ") + e.what());
  }
}

Result<MasterKey> KeyFile::Open(const Secret& password) const {
  LB_RETURN_IF_ERROR(params.CheckLimits());
  LB_ASSIGN_OR_RETURN(std::string derived, Scrypt(password, salt, params.n, params.r, params.p));
  MasterKey user = MasterKey::FromDerived(derived);
  OPENSSL_cleanse(derived.data(), derived.size());
  auto plain = user.Open(data);
  if (!plain.ok()) return Status(Code::kWrongPassword, "wrong password");
  auto master = MasterKeyFromJson(*plain);
  OPENSSL_cleanse(plain->data(), plain->size());
  return master;
}

}  // namespace lifeboat
