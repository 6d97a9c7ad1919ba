// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format (version 0.0.4) for `serve`'s /metrics,
// `run --metrics-file` (node_exporter's textfile collector) and a
// Pushgateway. A leaf: it includes base/ only, so any layer may record.
//
// Written here rather than taken from prometheus-cpp, which Debian 12 does
// not package; the format is small (HELP, TYPE, samples with escaped label
// values, cumulative histogram buckets).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace lifeboat::metrics {

enum class Type { kCounter, kGauge, kHistogram };

using Labels = std::vector<std::pair<std::string, std::string>>;  // in the order given

class Registry {
 public:
  // Declares a family. kInvalidArgument for a name or label name
  // Prometheus does not accept, or a name declared before with another type
  // or other labels. Declaring the same family again is a no-op. A
  // histogram's buckets are upper bounds, ascending; +Inf is added.
  Status Define(const std::string& name, Type type, const std::string& help,
                std::vector<std::string> label_names, std::vector<double> buckets = {});

  // Recording: label values in the order of the family's label names.
  // kInvalidArgument for an undeclared name, the wrong type or the wrong
  // number of label values; a counter refuses a negative increment.
  Status Set(const std::string& name, const std::vector<std::string>& values, double v);  // gauge
  Status Add(const std::string& name, const std::vector<std::string>& values, double v);  // counter or gauge
  Status Observe(const std::string& name, const std::vector<std::string>& values, double v);  // histogram
  // Forgets one series (a job removed from the config).
  void Remove(const std::string& name, const std::vector<std::string>& values);
  // Forgets every series, of every family with a label `label`, whose
  // `label` is `value` (all series of a job removed from the config).
  void RemoveWhere(const std::string& label, const std::string& value);
  // Forgets every series of `name` (a family set whole on each render).
  void Clear(const std::string& name);
  // The value of a gauge or counter series; false if there is none.
  bool Get(const std::string& name, const std::vector<std::string>& values, double* v) const;

  // Every family (in the order declared) with its series (sorted by label
  // values), in the text format.
  std::string Render() const;

 private:
  struct Series {
    double value = 0;                     // counter, gauge
    std::vector<uint64_t> bucket_counts;  // histogram: per bucket, not cumulative
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> buckets;
    std::map<std::vector<std::string>, Series> series;
  };
  Result<Series*> Find(const std::string& name, const std::vector<std::string>& values, Type want);

  mutable std::mutex mu_;
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

// A sample value as Prometheus writes it: "+Inf", "-Inf", "NaN", integers
// without an exponent, others as the shortest text that reads back exactly.
std::string FormatValue(double v);
// A label value with \, " and newlines escaped.
std::string EscapeLabelValue(const std::string& v);

}  // namespace lifeboat::metrics
