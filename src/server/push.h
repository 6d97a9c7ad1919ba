// `lifeboat run JOB --pushgateway URL`: the job's metrics PUT to a
// Prometheus Pushgateway under the grouping key job=JOB (URL/metrics/job/JOB),
// replacing what that job pushed before. The key's job label is the one the
// series carry already, so the gateway shows them unchanged.
#pragma once

#include <string>

#include "base/status.h"

namespace lifeboat {

// `url`: http(s)://HOST:PORT[/PREFIX]. kIoError naming the gateway (scheme,
// host and port only) and the cause: unreachable, or its HTTP status.
Status PushMetrics(const std::string& url, const std::string& job, const std::string& text);

}  // namespace lifeboat
