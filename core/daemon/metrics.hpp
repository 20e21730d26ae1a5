// Prometheus metrics of the daemon, rendered in the text exposition format.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace driftless::core {

/// Label set, e.g. {{"pipeline", "prod"}, {"result", "success"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  /// Adds `by` to a counter.
  void count(const std::string& name, const Labels& labels, double by = 1);
  /// Sets a gauge.
  void set(const std::string& name, const Labels& labels, double value);
  /// Records one observation of a histogram (seconds).
  void observe(const std::string& name, const Labels& labels, double seconds);
  /// Removes every series of `name` whose labels include `label`=`value`
  /// (a pipeline that disappeared).
  void forget(const std::string& label, const std::string& value);

  /// The text exposition format, with HELP and TYPE lines.
  std::string render() const;

 private:
  struct Histogram {
    std::vector<double> counts;  ///< per bucket, not cumulative
    double sum = 0;
    double count = 0;
  };
  static std::string key(const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, double>> counters_;
  std::map<std::string, std::map<std::string, double>> gauges_;
  std::map<std::string, std::map<std::string, Histogram>> histograms_;
};

}  // namespace driftless::core
