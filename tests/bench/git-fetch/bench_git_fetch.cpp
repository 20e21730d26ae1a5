// Fetch + snapshot of a repository with N files (default 10,000) through the
// git source over the tests/env git daemon, against the git CLI on the same
// repository: cold (git clone), no-op poll (git fetch with nothing new) and
// incremental after a one-file commit (git pull). Prints medians and ratios.
// Usage: bench_git_fetch [files=10000] [runs=3]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include "driftless/toolkit/process.hpp"
#include "driftless/toolkit/snapshot.hpp"
#include "pipeline/core_context.hpp"
#include "plugins/registry.hpp"

using namespace driftless;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::map<std::string, std::string> env_file() {
  std::map<std::string, std::string> out;
  const char* dir = std::getenv("DRIFTLESS_ENV_DIR");
  std::ifstream in(fs::path(dir ? dir : "") / "env");
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

const std::map<std::string, std::string> git_env{{"GIT_AUTHOR_NAME", "bench"},     {"GIT_AUTHOR_EMAIL", "b@example.com"},
                                                 {"GIT_COMMITTER_NAME", "bench"},  {"GIT_COMMITTER_EMAIL", "b@example.com"},
                                                 {"GIT_CONFIG_NOSYSTEM", "1"},     {"HOME", "/nonexistent"}};

void git(const fs::path& dir, std::vector<std::string> args) {
  ProcessSpec spec;
  spec.argv = {"git", "-C", dir.string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = git_env;
  spec.timeout = std::chrono::minutes(5);
  auto result = run_process(spec);
  if (!result.ok() || result->exit_code != 0) {
    std::cerr << "git " << args.front() << " failed: " << (result.ok() ? result->err : result.error().message) << "\n";
    std::exit(1);
  }
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

template <class F>
double timed(F&& f) {
  auto start = Clock::now();
  f();
  return seconds(Clock::now() - start);
}

void row(const char* what, double ours, double baseline, const char* baseline_name) {
  std::printf("%-34s driftless %7.3f s   %-22s %7.3f s   ratio %.2f\n", what, ours, baseline_name, baseline, ours / baseline);
}

}  // namespace

int main(int argc, char** argv) {
  const int files = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  auto env = env_file();
  if (env["GIT_REPOS_DIR"].empty()) {
    std::cerr << "set DRIFTLESS_ENV_DIR to a tests/env state dir with git up (tests/env/up git)\n";
    return 2;
  }
  const fs::path work = fs::temp_directory_path() / ("driftless-bench-git-" + std::to_string(::getpid()));
  const std::string name = "bench-" + std::to_string(::getpid()) + ".git";
  const fs::path bare = fs::path(env["GIT_REPOS_DIR"]) / name;
  const std::string url = env["GIT_DAEMON_URL"] + name;

  // A repository of `files` small manifests in 100 folders.
  fs::create_directories(work / "src");
  git(work, {"init", "-q", "--bare", "-b", "main", bare.string()});
  git(work / "src", {"init", "-q", "-b", "main"});
  for (int i = 0; i < files; ++i) {
    fs::path file = work / "src" / ("apps/team-" + std::to_string(i % 100)) / ("cm-" + std::to_string(i) + ".yaml");
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-" << i
                        << "\n  namespace: team-" << i % 100 << "\ndata:\n  key: value-" << i << "\n";
  }
  git(work / "src", {"add", "-A"});
  git(work / "src", {"commit", "-q", "-m", "many files"});
  git(work / "src", {"push", "-q", bare.string(), "main"});

  core::PluginRegistry registry;
  registry.load_file(fs::path(DRIFTLESS_BUILD_PLUGIN_DIR) / "libdriftless-source-git.so");
  const SourceFactory* factory = registry.source("git");
  if (!factory) return 1;
  core::ContextServices services;
  services.registry = &registry;
  const std::string config = R"({"url": ")" + url + R"(", "ref": {"branch": "main"}, "timeout": 300000, "keepSnapshots": 3})";
  auto fetch = [&](Source& source, const Artifact* previous) {
    core::CoreContext context(services, "", "git", std::chrono::minutes(5));
    auto artifact = source.fetch(context, previous);
    if (!artifact.ok()) {
      std::cerr << "fetch failed: " << artifact.error().message << "\n";
      std::exit(1);
    }
    return std::move(*artifact);
  };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };

  std::printf("repository: %d files in 100 folders, served by git daemon (%s); median of %d runs\n", files, url.c_str(), runs);
  std::vector<double> cold, clone, noop, noop_git, incremental, pull;
  int changed_folders = 0;
  std::size_t folders = 0;
  for (int run = 0; run < runs; ++run) {
    // Each run starts from nothing: a fresh state dir and a fresh clone; the
    // order alternates so neither side always gets the warmer disk.
    const fs::path state = work / ("state-" + std::to_string(run));
    const fs::path checkout = work / ("clone-" + std::to_string(run));
    services.state_dir = state;
    auto source = factory->create(*parse_json(config));
    if (!source.ok()) return 1;
    Artifact first;
    auto ours = [&] { cold.push_back(timed([&] { first = fetch(**source, nullptr); })); };
    auto theirs = [&] { clone.push_back(timed([&] { git(work, {"clone", "-q", url, checkout.string()}); })); };
    if (run % 2 == 0) ours(), theirs();
    else theirs(), ours();

    noop.push_back(timed([&] { fetch(**source, &first); }));
    noop_git.push_back(timed([&] { git(checkout, {"fetch", "-q", "origin"}); }));

    std::ofstream(work / "src/apps/team-7/cm-7.yaml") << "changed: " << run << "\n";
    git(work / "src", {"commit", "-q", "-am", "one file"});
    git(work / "src", {"push", "-q", bare.string(), "main"});
    Artifact second;
    incremental.push_back(timed([&] { second = fetch(**source, &first); }));
    pull.push_back(timed([&] { git(checkout, {"pull", "-q", "--ff-only"}); }));
    changed_folders = 0;
    for (const auto& [folder, id] : second.folder_ids) changed_folders += first.folder_id(folder) != id ? 1 : 0;
    folders = second.folder_ids.size();
  }
  row("cold: fetch + snapshot", median(cold), median(clone), "git clone");
  row("no-op poll", median(noop), median(noop_git), "git fetch (nothing)");
  row("incremental: 1 file changed", median(incremental), median(pull), "git pull");
  std::printf("folders with a new content id after the 1-file commit: %d of %zu\n", changed_folders, folders);

  std::error_code ec;
  remove_read_only_tree(work);
  fs::remove_all(bare, ec);
  return 0;
}
