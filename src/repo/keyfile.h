// Key files (keys/<id>): a password, through scrypt, opens the master key.
// Plain JSON (not encrypted as a whole); the "data" field holds the sealed
// master key. Several key files, one per password, may open one repository.
#pragma once

#include <cstdint>
#include <string>

#include "base/secret.h"
#include "base/status.h"
#include "base/timefmt.h"
#include "crypto/crypto.h"

namespace lifeboat {

struct KdfParams {
  uint64_t n = 32768;
  uint32_t r = 8;
  uint32_t p = 1;

  // Parameters at least as strong as restic's calibration: N=2^15, r=8 and p
  // raised until one derivation takes about half a second on this machine.
  // LIFEBOAT_INSECURE_TEST_KDF=1 selects tiny parameters for test suites.
  static KdfParams Calibrated();

  // kCorrupt unless a derivation with these parameters fits in bounds: at
  // most 1 GiB of memory per lane (128·r·N; restic's default is 32 MiB) and
  // N·r·p at most 2^28 (1,024 times restic's default work). A key file past
  // them is damaged or hostile (N=2^24 with r=64 would ask for 128 GiB).
  Status CheckLimits() const;
};

struct KeyFile {
  Timestamp created;
  std::string username;
  std::string hostname;
  KdfParams params;
  std::string salt;  // raw bytes
  std::string data;  // sealed master-key JSON

  // Seals `master` under `password` with fresh salt.
  static Result<KeyFile> Create(const Secret& password, const MasterKey& master,
                                const KdfParams& params);
  std::string ToJson() const;
  static Result<KeyFile> FromJson(std::string_view json);

  // Derives the user key and opens the master key. kWrongPassword if the MAC
  // does not match.
  Result<MasterKey> Open(const Secret& password) const;
};

}  // namespace lifeboat
