// Secret: a string for passwords and keys. Its bytes are wiped when it is
// destroyed, and it has no operator<< so it cannot end up in a log by accident.
#pragma once

#include <string>
#include <string_view>

namespace lifeboat {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.Wipe(); }
  Secret& operator=(Secret&& other) noexcept;
  ~Secret() { Wipe(); }

  // The secret bytes. Callers must not copy them into logs or messages.
  std::string_view reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  void Wipe();
  std::string value_;
};

}  // namespace lifeboat
