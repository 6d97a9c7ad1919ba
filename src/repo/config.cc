#include "repo/config.h"

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "chunker/polynomial.h"
#include "crypto/crypto.h"

namespace lifeboat {

RepoConfig RepoConfig::New() {
  RepoConfig c;
  c.version = 2;
  c.id = HexEncode(RandomBytes(32));
  c.polynomial = RandomPolynomial();
  return c;
}

std::string RepoConfig::ToJson() const {
  char pol[32];
  std::snprintf(pol, sizeof pol, "%llx", static_cast<unsigned long long>(polynomial));
  nlohmann::ordered_json j;
  j["version"] = version;
  j["id"] = id;
  j["chunker_polynomial"] = pol;
  return j.dump();
}

Result<RepoConfig> RepoConfig::FromJson(std::string_view json) {
  // Wrong types in the JSON (a string where a number belongs, ...) make
  // nlohmann throw: damaged input, not a crash (found by the lock fuzzer).
  try {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("config is not a JSON object");
  RepoConfig c;
  if (!j.contains("version") || !j["version"].is_number_integer()) {
    return Corrupt("config has no version");
  }
  c.version = j["version"].get<int>();
  if (c.version != 1 && c.version != 2) {
    return Corrupt("repository format version " + std::to_string(c.version) +
                   " is not supported (lifeboat reads versions 1 and 2)");
  }
  if (j.contains("id") && j["id"].is_string()) c.id = j["id"].get<std::string>();
  if (!j.contains("chunker_polynomial") || !j["chunker_polynomial"].is_string()) {
    return Corrupt("config has no chunker_polynomial");
  }
  std::string pol = j["chunker_polynomial"].get<std::string>();
  char* end = nullptr;
  c.polynomial = std::strtoull(pol.c_str(), &end, 16);
  if (pol.empty() || *end != '\0' || c.polynomial == 0) {
    return Corrupt("config has an invalid chunker_polynomial \"" + pol + "\"");
  }
  return c;
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(std::string("config: malformed JSON value: ") + e.what());
  }
}

}  // namespace lifeboat
