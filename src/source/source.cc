#include "source/source.h"

#include "io/zstd.h"

namespace lifeboat {

int Source::CompressionLevel() const { return kDefaultZstdLevel; }

const std::string& ItemPath(const Item& item) {
  static const std::string kNone;
  return std::visit(
      [](const auto& i) -> const std::string& {
        if constexpr (std::is_same_v<std::decay_t<decltype(i)>, HostFilesItem>) {
          return kNone;
        } else {
          return i.path;
        }
      },
      item);
}

}  // namespace lifeboat
