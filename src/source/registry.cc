#include "source/registry.h"

#include <deque>
#include <mutex>

namespace lifeboat {
namespace {

struct Table {
  std::mutex mu;
  std::deque<Driver> drivers;  // stable addresses
};

Table& Registry() {
  static Table t;
  return t;
}

}  // namespace

void RegisterDriver(Driver driver) {
  Table& t = Registry();
  std::lock_guard<std::mutex> lock(t.mu);
  for (Driver& d : t.drivers) {
    if (d.name == driver.name) {
      d = std::move(driver);
      return;
    }
  }
  t.drivers.push_back(std::move(driver));
}

std::string UrlScheme(const std::string& text) {
  size_t colon = text.find("://");
  if (colon == std::string::npos || colon == 0) return "";
  if (text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+.-") != colon) return "";
  return text.substr(0, colon);
}

FilesSourceFactory& FilesFactory() {
  static FilesSourceFactory* factory = new FilesSourceFactory();
  return *factory;
}

void RegisterFilesSource(FilesSourceFactory factory) { FilesFactory() = std::move(factory); }

Result<std::unique_ptr<Source>> SourceFor(const std::string& what, const OptionView& options) {
  if (const Driver* d = DriverForUrl(what)) return d->source(what, options);
  if (!UrlScheme(what).empty()) {
    return InvalidArgument(UrlScheme(what) + ":// is not a source this lifeboat backs up (paths, " +
                           RegisteredSchemes() + " are)");
  }
  if (!FilesFactory()) return Internal("no file-system source registered (RegisterAllDrivers not called)");
  return FilesFactory()(std::vector<std::string>{what});
}

const Driver* DriverForUrl(const std::string& url) {
  std::string scheme = UrlScheme(url);
  if (scheme.empty()) return nullptr;
  Table& t = Registry();
  std::lock_guard<std::mutex> lock(t.mu);
  for (const Driver& d : t.drivers) {
    for (const auto& s : d.schemes) {
      if (s == scheme) return &d;
    }
  }
  return nullptr;
}

const Driver* DriverForSnapshot(const Snapshot& snapshot) {
  Table& t = Registry();
  std::lock_guard<std::mutex> lock(t.mu);
  for (const Driver& d : t.drivers) {
    if (d.owns && d.owns(snapshot)) return &d;
  }
  return nullptr;
}

std::vector<const Driver*> Drivers() {
  Table& t = Registry();
  std::lock_guard<std::mutex> lock(t.mu);
  std::vector<const Driver*> out;
  for (const Driver& d : t.drivers) out.push_back(&d);
  return out;
}

std::string RegisteredSchemes() {
  std::string out;
  for (const Driver* d : Drivers()) {
    for (const auto& s : d->schemes) out += (out.empty() ? "" : ", ") + s + "://";
  }
  return out;
}

}  // namespace lifeboat
