// The core's implementation of the plugin Context.
#pragma once

#include <atomic>
#include <filesystem>

#include "driftless/context.hpp"
#include "log/logging.hpp"
#include "plugins/registry.hpp"

namespace driftless::core {

/// What every context of one engine shares.
struct ContextServices {
  const PluginRegistry* registry = nullptr;
  std::filesystem::path state_dir;
  const std::atomic<bool>* stop = nullptr;  ///< set on SIGTERM/SIGINT
  const ClusterInfo* cluster = nullptr;
};

class CoreContext : public Context {
 public:
  CoreContext(const ContextServices& services, std::string pipeline, std::string plugin,
              std::chrono::steady_clock::duration timeout);

  Logger& logger() override { return logger_; }
  bool cancelled() const override;
  std::chrono::steady_clock::time_point deadline() const override { return deadline_; }
  std::filesystem::path cache_dir() const override;
  std::string pipeline() const override { return pipeline_; }
  Result<Artifact> fetch_source(std::string_view type, const Value& spec) override;
  const ClusterInfo* cluster_info() const override { return cluster_ ? cluster_ : services_.cluster; }
  /// Facts about this pipeline's cluster, as its sink reported them.
  void set_cluster_info(const ClusterInfo* cluster) { cluster_ = cluster; }

 private:
  const ContextServices& services_;
  std::string pipeline_;
  std::string plugin_;
  std::chrono::steady_clock::time_point deadline_;
  FieldLogger logger_;
  const ClusterInfo* cluster_ = nullptr;
};

}  // namespace driftless::core
