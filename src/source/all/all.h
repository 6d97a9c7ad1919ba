// The one place that names every driver of this build (ARCHITECTURE.md:
// source/all). The CLI (and next the daemon) calls RegisterAllDrivers once
// at start; nothing else includes a driver to dispatch on it.
#pragma once

namespace lifeboat {

void RegisterAllDrivers();

}  // namespace lifeboat
