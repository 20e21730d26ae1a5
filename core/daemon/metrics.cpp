#include "daemon/metrics.hpp"

#include <cstdio>

namespace driftless::core {
namespace {

const std::vector<double> kBuckets{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

// What each metric means, for the HELP lines.
const std::map<std::string, std::string>& help() {
  static const std::map<std::string, std::string> h{
      {"driftless_reconcile_duration_seconds", "Time one reconcile of a pipeline took."},
      {"driftless_reconciles_total", "Reconciles by pipeline and result (success, failure)."},
      {"driftless_objects_applied_total", "Objects created or changed."},
      {"driftless_objects_pruned_total", "Objects deleted because they left the desired state."},
      {"driftless_drift_events_total", "Changes made outside driftless that were noticed."},
      {"driftless_source_fetch_duration_seconds", "Time one fetch of a source took."},
      {"driftless_source_fetch_failures_total", "Failed fetches by source."},
      {"driftless_pipeline_info", "1 for each pipeline, labelled with its last applied revision."},
      {"driftless_pipeline_suspended", "1 when the pipeline is suspended."},
      {"driftless_pipeline_ready", "1 when the last reconcile succeeded."},
      {"driftless_pipeline_leader", "1 when this replica acts on the pipeline (highAvailability)."},
      {"driftless_replica_pipelines", "Pipelines this replica acts on (highAvailability)."},
      {"driftless_replica_members", "Live replicas this replica sees (highAvailability mode shard)."},
      {"driftless_renders_total", "Reconciles that ran the renderer chain."},
      {"driftless_render_cache_hits_total", "Reconciles that reused the last render: none of its folders changed."},
  };
  return h;
}

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void header(std::string& out, const std::string& name, const char* type) {
  auto it = help().find(name);
  out += "# HELP " + name + " " + (it == help().end() ? name : it->second) + "\n";
  out += "# TYPE " + name + " " + type + "\n";
}

std::string with_label(const std::string& labels, const std::string& extra) {
  if (labels.empty()) return "{" + extra + "}";
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

}  // namespace

std::string Metrics::key(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i)
    out += (i ? "," : "") + labels[i].first + "=\"" + escape(labels[i].second) + "\"";
  return out + "}";
}

void Metrics::count(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  counters_[name][key(labels)] += by;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name][key(labels)] = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double seconds) {
  std::lock_guard lock(mutex_);
  Histogram& h = histograms_[name][key(labels)];
  if (h.counts.empty()) h.counts.assign(kBuckets.size(), 0);
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      h.counts[i] += 1;
      break;
    }
  h.sum += seconds;
  h.count += 1;
}

void Metrics::forget(const std::string& label, const std::string& value) {
  std::lock_guard lock(mutex_);
  const std::string needle = label + "=\"" + escape(value) + "\"";
  auto drop = [&](auto& families) {
    for (auto& [name, series] : families)
      for (auto it = series.begin(); it != series.end();)
        it = it->first.find(needle) != std::string::npos ? series.erase(it) : std::next(it);
  };
  drop(counters_);
  drop(gauges_);
  drop(histograms_);
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, series] : counters_) {
    header(out, name, "counter");
    for (const auto& [labels, v] : series) out += name + labels + " " + number(v) + "\n";
  }
  for (const auto& [name, series] : gauges_) {
    header(out, name, "gauge");
    for (const auto& [labels, v] : series) out += name + labels + " " + number(v) + "\n";
  }
  for (const auto& [name, series] : histograms_) {
    header(out, name, "histogram");
    for (const auto& [labels, h] : series) {
      double cumulative = 0;
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.counts[i];
        out += name + "_bucket" + with_label(labels, "le=\"" + number(kBuckets[i]) + "\"") + " " + number(cumulative) + "\n";
      }
      out += name + "_bucket" + with_label(labels, "le=\"+Inf\"") + " " + number(h.count) + "\n";
      out += name + "_sum" + labels + " " + number(h.sum) + "\n";
      out += name + "_count" + labels + " " + number(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace driftless::core
