#include "helm_runner.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace driftless::helmrelease {

HelmRunner::HelmRunner(Context& context, std::filesystem::path tool, HelmTarget target)
    : context_(context), tool_(std::move(tool)), target_(std::move(target)) {}

Result<ProcessResult> HelmRunner::run(std::vector<std::string> args, std::chrono::seconds timeout, std::string input) const {
  ProcessSpec spec;
  spec.argv.push_back(tool_.string());
  for (auto& arg : args) spec.argv.push_back(std::move(arg));
  const kube::ClusterSettings& cluster = target_.cluster;
  if (!cluster.kubeconfig.empty()) spec.argv.insert(spec.argv.end(), {"--kubeconfig", cluster.kubeconfig});
  else spec.inherit.push_back("KUBECONFIG");
  if (!cluster.context.empty()) spec.argv.insert(spec.argv.end(), {"--kube-context", cluster.context});
  // The sink's identity: helm is held to the same RBAC as the sink's own writes.
  if (!cluster.impersonate.user.empty()) spec.argv.insert(spec.argv.end(), {"--kube-as-user", cluster.impersonate.user});
  for (const auto& group : cluster.impersonate.groups) spec.argv.insert(spec.argv.end(), {"--kube-as-group", group});
  const std::string home = home_.path().string();
  spec.env = {{"HOME", home}, {"HELM_CACHE_HOME", home + "/cache"}, {"HELM_CONFIG_HOME", home + "/config"},
              {"HELM_DATA_HOME", home + "/data"}};
  spec.input = std::move(input);
  spec.max_memory = target_.max_memory;
  spec.timeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(context_.seconds_left()));
  spec.cancelled = [this] { return context_.cancelled(); };
  return run_process(spec);
}

Result<void> write_private_file(const std::filesystem::path& file, std::string_view text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::internal, "cannot write " + file.string());
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) return fail(ErrorCode::internal, "cannot write " + file.string());
  return {};
}

std::string masked(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) text.replace(at, secret.size(), "***");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace driftless::helmrelease
