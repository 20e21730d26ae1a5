// Running a sync's hooks: create each hook (POST, so a hook with generateName
// gets the server's name), wait until it completed (a Job complete, a Pod
// succeeded; other kinds at once), and apply its delete policy. Hooks are not
// in the inventory and not watched: they run, they are never kept in sync.
#pragma once

#include <driftless/context.hpp>
#include <driftless/diagnostic.hpp>

#include <optional>
#include <string>
#include <vector>

#include "client.hpp"
#include "discovery.hpp"
#include "settings.hpp"
#include "sync_role.hpp"

namespace driftless::kube {

/// One hook of the desired set.
struct Hook {
  const KubeObject* source = nullptr;
  hooks::SyncRole role;
  ResourceType type;
  std::string namespace_name;  ///< "" when cluster-scoped
  std::string id;              ///< "Job/apps/migrate-*" until the server names it
};

class HookRunner {
 public:
  HookRunner(Context& context, KubeClient& client, const Settings& settings, const std::string& pipeline,
             std::vector<Diagnostic>& diagnostics)
      : context_(context), client_(client), settings_(settings), pipeline_(pipeline), diagnostics_(diagnostics) {}

  /// Runs the hooks of `phase` (only those of `wave`, when given) wave by wave,
  /// lowest first, each wave complete before the next. False when a hook could
  /// not be created or failed: an error names it and why.
  bool run(const std::vector<Hook>& hooks, hooks::Phase phase, std::optional<int> wave = std::nullopt);

 private:
  struct Created {
    const Hook* hook;
    std::string path;  ///< of the created object
    std::string id;    ///< with the name the server gave
  };
  std::optional<Created> create(const Hook& hook, hooks::Phase phase);
  bool removed(const std::string& path, const std::string& id, const char* why);
  void error(const Hook& hook, std::string message);

  Context& context_;
  KubeClient& client_;
  const Settings& settings_;
  const std::string& pipeline_;
  std::vector<Diagnostic>& diagnostics_;
};

}  // namespace driftless::kube
